// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
//
// Contract (what training and serving rely on): a class with
//   static fit(rows, spec)        learns from training rows, returns a fitted preprocessor
//   static raw(rows, spec)        no learning: the input layout of a brought ONNX model (model.onnx_path)
//   static fromState(state)       rebuilds it from preprocessor.json of a model bundle (throws on a bad state)
//   p.width, p.state(), p.transform(rows) -> Float32Array [rows.length * width], row-major
// transform runs on every /predict request: keep it fast (build the plan once, in the constructor).
// If you change the encoding, retrain (`npm run train`) so model and preprocessor.json match.
//
// The example (@mlservice/runtime's ExamplePreprocessor): number/integer features are standardized;
// booleans become 0/1; categories are one-hot over their `values` in features.yaml; string features
// are ignored. To encode differently, write a class with the same static methods here, or extend it:
//
//   export class Preprocessor extends ExamplePreprocessor { ... }
import { ExamplePreprocessor } from '@mlservice/runtime';

export const Preprocessor = ExamplePreprocessor;
