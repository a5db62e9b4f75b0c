// @mlservice/runtime: what a generated service's src/app.ts and src/server.ts use. Training (which
// needs onnx-proto, a build-time dependency) is in '@mlservice/runtime/train'.
export { createApp, REDACTED_PATHS, type AppOptions } from './create-app.js';
export { serve, type BuildApp } from './serve.js';
export { ConfigError, loadConfig, parseConfig, type Config } from './config.js';
export type {
  DataLoader,
  Preprocessor,
  PreprocessorFactory,
  ServiceDefinition,
  Trainer,
  TrainerOptions,
  TrainedModel,
  TrainingData,
  TrainingDefinition,
} from './contract.js';
export { HttpError, type ErrorDetail } from './errors.js';
export { createBodyValidator, type BodyCheck } from './validation.js';
export { PredictBatcher } from './predict-batcher.js';
export { PROBE_ROUTE } from './routes/probe.js';
export type { PredictionEvent, PredictionListener, RequestErrorEvent, RequestErrorListener } from './prediction-event.js';
export { createLogger } from './logging/logger.js';
export { PredictionLog } from './logging/prediction-log.js';
export { createMetrics, type ServiceMetrics } from './metrics/registry.js';
export { ModelNotReadyError, OnnxModelRuntime, type OnnxModelRuntimeOptions } from './model/onnx-runtime.js';
export { BUNDLE_FILES, ModelLoadError } from './model/bundle.js';
export type { ModelMetadata, ModelRuntime, Prediction } from './model/runtime.js';
export type { DriftListener, DriftWarning } from './monitoring/drift.js';
export type { FeedbackListener } from './feedback/monitor.js';
export type { FeatureModule, FeatureSpec, FeatureType, FeatureValue, JsonSchema, ModelSpec, Row } from './schemas/model-spec.js';
export { ExamplePreprocessor } from './examples/preprocessor.js';
