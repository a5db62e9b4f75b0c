// The service these tests run against: a generated service's folder (MLSERVICE_SERVICE_DIR; the
// repo's end-to-end test installs the iris service and points here). Its generated features module is
// the spec; the runtime's parts are bound to it with the runtime's example contract, as that
// service's src/service.ts binds them.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp, type AppOptions } from '../src/create-app.js';
import type { TrainingDefinition } from '../src/contract.js';
import { createCsvDataLoader } from '../src/examples/data-loader.js';
import { ExamplePreprocessor } from '../src/examples/preprocessor.js';
import { trainExampleModel } from '../src/examples/train.js';
import { PredictionLog as RuntimePredictionLog, type PredictionLogOptions } from '../src/logging/prediction-log.js';
import { readBundle as readRuntimeBundle } from '../src/model/bundle.js';
import { OnnxModelRuntime as RuntimeOnnxModelRuntime, type OnnxModelRuntimeOptions } from '../src/model/onnx-runtime.js';
import type { FeatureModule, ModelSpec, Row as RuntimeRow } from '../src/schemas/model-spec.js';
import { trainAndWriteBundle as runtimeTrain, type TrainConfig, type TrainOptions } from '../src/training.js';

export const SERVICE_DIR = process.env.MLSERVICE_SERVICE_DIR ?? '';
if (!SERVICE_DIR)
  throw new Error(
    'MLSERVICE_SERVICE_DIR is not set: point it at a generated (and installed) service, e.g. one made by `node scripts/scaffold.mjs .tmp/iris`.',
  );

const generated = (await import(pathToFileURL(join(SERVICE_DIR, 'src/schemas/features.ts')).href)) as FeatureModule;
export const features: FeatureModule = {
  modelSpec: generated.modelSpec,
  rowJsonSchema: generated.rowJsonSchema,
  exampleRow: generated.exampleRow,
};
export const { modelSpec, rowJsonSchema } = features;
export const exampleRow: Row = features.exampleRow;
export type Row = RuntimeRow;
export const definition: TrainingDefinition = {
  features,
  Preprocessor: ExamplePreprocessor,
  createDataLoader: createCsvDataLoader,
  train: trainExampleModel,
};

export const buildApp = (options: AppOptions) => createApp(features, options);
export const trainAndWriteBundle = (config: TrainConfig, options?: TrainOptions & { spec?: ModelSpec }) =>
  runtimeTrain(options?.spec ? { ...definition, features: { ...features, modelSpec: options.spec } } : definition, config, options);
export const readBundle = (dir: string, spec: ModelSpec = modelSpec) => readRuntimeBundle(dir, spec);

export class OnnxModelRuntime extends RuntimeOnnxModelRuntime {
  constructor(options: Partial<OnnxModelRuntimeOptions> & { dir: string }) {
    super({ Preprocessor: ExamplePreprocessor, ...(options.spec ? {} : { exampleRow }), spec: modelSpec, ...options });
  }
}

export class PredictionLog extends RuntimePredictionLog {
  constructor(options: Omit<PredictionLogOptions, 'spec'> & { spec?: ModelSpec }) {
    super({ ...options, spec: options.spec ?? modelSpec });
  }
}
