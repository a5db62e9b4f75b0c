// '@mlservice/runtime/train': `npm run train` and the example DataLoader and trainer. Not imported by
// the server: it needs onnx-proto (to write and inspect ONNX models), which the image leaves out.
export { QualityGateError, runTraining, trainAndWriteBundle, type TrainConfig, type TrainOptions, type TrainResult } from './training.js';
export { CsvDataLoader, createCsvDataLoader } from './examples/data-loader.js';
export { trainExampleModel } from './examples/train.js';
export { ONNX_NAMES, buildLinearRegression, buildSoftmaxRegression } from './model/onnx-builder.js';
export { seededRandom } from './random.js';
