// The contract between a service and the runtime: what a service's src/service.ts hands over (its
// generated features module and its Preprocessor), and what `npm run train` also needs (a
// DataLoader and a trainer). The examples (src/examples/) implement it; a service may replace any part.
import type { FeatureModule, ModelSpec, Row } from './schemas/model-spec.js';

/** A fitted preprocessor: turns validated rows into the model input. */
export interface Preprocessor {
  /** Values per row of the model input. */
  readonly width: number;
  /** A JSON-able object, written to the bundle's preprocessor.json. */
  state(): unknown;
  /** Float32Array of rows.length * width, row-major: the model input [N, width]. Runs on every request. */
  transform(rows: Row[]): Float32Array;
}

/** How a Preprocessor is made: learnt from rows, laid out for a brought model, or rebuilt from a bundle. */
export interface PreprocessorFactory {
  fit(rows: Row[], spec: ModelSpec): Preprocessor;
  /** No learning: the input layout of a brought ONNX model (model.onnx_path). */
  raw(rows: Row[], spec: ModelSpec): Preprocessor;
  /** Rebuilds it from preprocessor.json of a model bundle; throws on a state it does not understand. */
  fromState(state: unknown): Preprocessor;
}

export interface TrainingData {
  rows: Row[];
  /** targets[i] is row i's class label (classification) or number (regression). */
  targets: (string | number)[];
}

export interface DataLoader {
  load(): Promise<TrainingData>;
}

export interface TrainerOptions {
  task: 'classification' | 'regression';
  /** Class labels (classification): y holds indices into this list. */
  classes: string[] | null;
  epochs: number;
  learningRate: number;
  seed: number;
  /** L2 penalty on the weights (not the bias). */
  l2?: number;
}

export interface TrainedModel {
  onnx: Uint8Array;
  input: string;
  outputs: { label?: string; probabilities?: string; value?: string };
}

/** Gets the preprocessed training matrix X (row-major [rows, width]) and targets y; returns ONNX bytes. */
export type Trainer = (X: Float32Array, y: number[], options: TrainerOptions) => TrainedModel;

/** What serving needs from a service. */
export interface ServiceDefinition {
  features: FeatureModule;
  Preprocessor: PreprocessorFactory;
}

/** What `npm run train` needs from a service. */
export interface TrainingDefinition extends ServiceDefinition {
  /** `path` is config.yaml training.data, resolved. */
  createDataLoader(path: string, features: FeatureModule): DataLoader;
  train: Trainer;
}
