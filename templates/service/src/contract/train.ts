// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
//
// Contract (what `npm run train` relies on): train(X, y, options) gets the preprocessed training
// matrix X (Float32Array, row-major [rows, width]) and the targets y (classification: class indices
// into options.classes; regression: numbers), and returns the ONNX model bytes plus the names of its
// input and outputs. The serving side feeds float32 [N, width] to `input` and reads:
//   classification: `probabilities` float32 [N, classes.length] (and optionally `label`, int64 class index)
//   regression:     `value` float32 [N, 1]
// Any model works as long as it keeps that contract: replace it with your own trainer, or export an
// ONNX model from elsewhere and set model.onnx_path in config.yaml instead.
//
// The example: softmax regression by gradient descent with a little L2 (classification), ridge
// regression in closed form (regression); deterministic for a given seed.
import type { Trainer } from '@mlservice/runtime';
import { trainExampleModel } from '@mlservice/runtime/train';

export const train: Trainer = trainExampleModel;
