// `npm run train`: DataLoader -> shuffle + split -> Preprocessor.fit -> train -> evaluate -> quality gate -> model bundle.
// With config.yaml model.onnx_path set, the brought ONNX model is packed instead of training one.
// The service's contract (src/contract/, through src/service.ts) supplies the DataLoader, Preprocessor and trainer.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadConfig } from './config.js';
import type { Config } from './config.js';
import type { DataLoader, Preprocessor, TrainingData, TrainingDefinition } from './contract.js';
import { seededRandom } from './random.js';
import { writeBundle } from './model/bundle.js';
import { createFeeder, runRows } from './model/feeds.js';
import { decodeModel, inspectModel, ModelInspectionError, servedModel, type InputPlan, type ModelPlan } from './model/onnx-inspect.js';
import { computeReference } from './monitoring/drift-reference.js';
import type { ModelMetadata } from './model/runtime.js';
import type { ModelSpec } from './schemas/model-spec.js';

/** The parts of config.yaml training reads. */
export type TrainConfig = Pick<Config, 'model' | 'training'>;

export interface TrainOptions {
  /** Folder that relative paths of the config (model.dir, training.data, model.onnx_path) start from. Default: cwd. */
  root?: string;
  /** Write the bundle here instead of config model.dir. */
  outDir?: string;
  /** Default: the definition's createDataLoader(training.data). */
  dataLoader?: DataLoader;
  log?: (line: string) => void;
}

export interface TrainResult {
  dir: string;
  metadata: ModelMetadata;
}

/** The model missed config.yaml model.quality_gate; nothing was written. */
export class QualityGateError extends Error {
  override readonly name = 'QualityGateError';
}

type Metrics = Record<string, number>;

/** Trains (or packs a brought model), evaluates, checks the quality gate, then writes the bundle. */
export async function trainAndWriteBundle(
  definition: TrainingDefinition,
  config: TrainConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const root = resolve(options.root ?? process.cwd());
  const spec = definition.features.modelSpec;
  const { Preprocessor, train } = definition;
  const loader = () => options.dataLoader ?? definition.createDataLoader(dataPath, definition.features);
  const log = options.log ?? (() => undefined);
  const dir = resolve(root, options.outDir ?? config.model.dir);
  const dataPath = resolve(root, config.training.data);
  const byo = config.model.onnx_path;

  let onnxBytes: Uint8Array;
  let preprocessor: Preprocessor;
  let outputs: ModelMetadata['onnx'];
  let classes: string[] | null;
  let metrics: Metrics = {};
  let counts = { rows: 0, test_rows: 0 };
  /** The rows the drift reference statistics are computed on (the training split; a brought model's data). */
  let referenceRows: TrainingData['rows'] | null = null;

  if (byo) {
    const modelPath = resolve(root, byo);
    const { plan, served } = packBrought(modelPath, spec, config.model.outputs);
    onnxBytes = served;
    classes = plan.classes;
    const layout = plan.layout;
    outputs = {
      input: layout.kind === 'matrix' ? layout.input : layout.columns.map((c) => c.input).join(', '),
      outputs: plan.outputs,
      ...(plan.labelValues ? { label_values: plan.labelValues } : {}),
    };
    if (plan.zipMap)
      log(
        `the brought model's ZipMap output ${JSON.stringify(plan.zipMap.output)} is served as its input tensor ${JSON.stringify(plan.zipMap.input)} (classes ${JSON.stringify(classes)})`,
      );
    const data = options.dataLoader || existsSync(dataPath) ? await loader().load() : null;
    preprocessor = Preprocessor.raw(data?.rows ?? [], spec);
    referenceRows = data && data.rows.length > 0 ? data.rows : null;
    if (data) {
      const y = encodeTargets(data, spec.task, classes);
      metrics = await evaluate(onnxBytes, outputs, plan, preprocessor, spec, data.rows, y, classes);
      counts = { rows: 0, test_rows: data.rows.length };
      log(`evaluated the brought model ${byo} on ${data.rows.length} rows of ${config.training.data}`);
    } else {
      log(`no data at ${config.training.data}: the brought model ${byo} is packed without metrics`);
    }
  } else {
    const data = await loader().load();
    classes = spec.task === 'classification' ? (spec.classes ?? [...new Set(data.targets.map(String))].sort()) : null;
    const y = encodeTargets(data, spec.task, classes);
    const { trainIdx, testIdx } = split(data.rows.length, config.training.test_fraction, config.training.seed);
    const pick = <T>(xs: T[], idx: number[]) => idx.map((i) => xs[i]!);
    const trainRows = pick(data.rows, trainIdx);
    preprocessor = Preprocessor.fit(trainRows, spec);
    referenceRows = trainRows;
    log(`training on ${trainIdx.length} rows, testing on ${testIdx.length} (${preprocessor.width} input values per row)`);
    const model = train(preprocessor.transform(trainRows), pick(y, trainIdx), {
      task: spec.task,
      classes,
      epochs: config.training.epochs,
      learningRate: config.training.learning_rate,
      seed: config.training.seed,
    });
    onnxBytes = model.onnx;
    outputs = { input: model.input, outputs: model.outputs };
    const plan: InputPlan = { layout: { kind: 'matrix', input: model.input, type: 'float32', width: preprocessor.width }, batch: null };
    metrics = await evaluate(onnxBytes, outputs, plan, preprocessor, spec, pick(data.rows, testIdx), pick(y, testIdx), classes);
    counts = { rows: trainIdx.length, test_rows: testIdx.length };
  }

  log(
    `metrics: ${
      Object.entries(metrics)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none'
    }`,
  );
  const gate = config.model.quality_gate;
  if (byo && counts.test_rows === 0 && gate.metric)
    log(`quality gate (${gate.metric}) not checked: there is no data to evaluate the brought model on`);
  else checkQualityGate(gate, metrics);

  const metadata: ModelMetadata = {
    model_uuid: randomUUID(),
    model_name: config.model.name ?? 'model',
    created_at: new Date().toISOString(),
    task: spec.task,
    classes,
    features: spec.features.map((f) => f.name),
    feature_hash: spec.featureHash,
    onnx: outputs,
    metrics,
    training: { ...counts, data: config.training.data },
  };
  const reference = referenceRows ? computeReference(referenceRows, spec, metadata.model_uuid) : null;
  if (!reference) log('no training data: the bundle has no drift reference statistics (drift monitoring stays off)');
  writeBundle(dir, { onnx: onnxBytes, preprocessor: preprocessor.state(), metadata, reference });
  log(`wrote the model bundle ${dir} (model ${metadata.model_uuid})`);
  return { dir, metadata };
}

/** Class labels -> indices into `classes`; regression targets as numbers. */
function encodeTargets(data: TrainingData, task: ModelSpec['task'], classes: string[] | null): number[] {
  if (task === 'regression') return data.targets.map(Number);
  const index = new Map(classes!.map((c, i) => [c, i]));
  return data.targets.map((t, row) => {
    const i = index.get(String(t));
    if (i === undefined)
      throw new Error(
        `training row ${row + 1}: label ${JSON.stringify(t)} is not one of the classes in features.yaml (${classes!.join(', ')}).`,
      );
    return i;
  });
}

/** Seeded Fisher-Yates shuffle, then the first test_fraction of the rows is the test split (at least one row each when possible). */
export function split(n: number, testFraction: number, seed: number): { trainIdx: number[]; testIdx: number[] } {
  const idx = Array.from({ length: n }, (_, i) => i);
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
  return { testIdx: idx.slice(0, nTest), trainIdx: idx.slice(nTest) };
}

/**
 * Reads a brought model and inspects it (src/model/onnx-inspect.ts): the bundle serves it with its
 * ZipMap taken off. The user's file is only read.
 */
export function packBrought(
  modelPath: string,
  spec: ModelSpec,
  overrides: Config['model']['outputs'],
): { plan: ModelPlan; served: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(modelPath);
  } catch (e) {
    throw new Error(
      `config.yaml model.onnx_path: cannot read ${modelPath} (${(e as Error).message}). Fix: point it at an existing .onnx file.`,
    );
  }
  try {
    const model = decodeModel(bytes);
    const plan = inspectModel(model, spec, overrides);
    return { plan, served: plan.zipMap ? servedModel(model, plan) : bytes };
  } catch (e) {
    if (!(e instanceof ModelInspectionError)) throw e;
    throw new Error(
      `the brought model ${modelPath} cannot be served:\n${e.problems.map((p) => `  ${p.file === 'model' ? modelPath : p.file}: ${p.key}: ${p.message}`).join('\n')}`,
    );
  }
}

/** Runs the model through onnxruntime (as the service will) on the test rows and scores it. */
async function evaluate(
  bytes: Uint8Array,
  names: ModelMetadata['onnx'],
  plan: InputPlan,
  preprocessor: Preprocessor,
  spec: ModelSpec,
  rows: TrainingData['rows'],
  y: number[],
  classes: string[] | null,
): Promise<Metrics> {
  const n = y.length;
  if (n === 0) return {};
  const task = spec.task;
  const session = await ort.InferenceSession.create(bytes);
  try {
    const fetch = task === 'regression' ? names.outputs.value! : (names.outputs.probabilities ?? names.outputs.label!);
    const out = (await runRows(session, createFeeder(plan, preprocessor, spec.features), rows, [fetch], plan.batch))[fetch]!;
    if (task === 'regression') return regressionMetrics(Array.from(out as Float32Array, Number), y);
    const C = classes!.length;
    const labels = names.label_values;
    const indexOf = (v: number | bigint | string) =>
      labels ? labels.indexOf(String(v)) : typeof v === 'string' ? classes!.indexOf(v) : Number(v);
    const predicted =
      fetch === names.outputs.probabilities
        ? argmaxRows(out as Float32Array, n, C)
        : Array.from(out as ArrayLike<number | bigint | string>, indexOf);
    return classificationMetrics(predicted, y, C);
  } finally {
    await session.release();
  }
}

function argmaxRows(p: Float32Array | Float64Array, n: number, C: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[i * C + c]! > p[i * C + best]!) best = c;
    out.push(best);
  }
  return out;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function classificationMetrics(predicted: number[], actual: number[], C: number): Metrics {
  let correct = 0;
  const tp = new Array<number>(C).fill(0);
  const fp = new Array<number>(C).fill(0);
  const fn = new Array<number>(C).fill(0);
  actual.forEach((a, i) => {
    const p = predicted[i]!;
    if (p === a) {
      correct++;
      tp[a]!++;
    } else {
      if (p >= 0 && p < C) fp[p]!++;
      fn[a]!++;
    }
  });
  // Macro F1 over the classes present in the test split or predicted for it.
  const f1s: number[] = [];
  for (let c = 0; c < C; c++) {
    if (tp[c]! + fp[c]! + fn[c]! === 0) continue;
    f1s.push((2 * tp[c]!) / (2 * tp[c]! + fp[c]! + fn[c]!));
  }
  return { accuracy: round4(correct / actual.length), macro_f1: round4(f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length)) };
}

export function regressionMetrics(predicted: number[], actual: number[]): Metrics {
  const n = actual.length;
  const mean = actual.reduce((a, b) => a + b, 0) / n;
  let ssRes = 0;
  let ssTot = 0;
  let absErr = 0;
  actual.forEach((a, i) => {
    const e = a - predicted[i]!;
    ssRes += e * e;
    ssTot += (a - mean) ** 2;
    absErr += Math.abs(e);
  });
  return { r2: round4(ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0), mae: round4(absErr / n) };
}

/** Throws QualityGateError when the metric misses its threshold (or cannot be measured). */
export function checkQualityGate(gate: TrainConfig['model']['quality_gate'], metrics: Metrics): void {
  if (!gate.metric) return;
  const value = metrics[gate.metric];
  if (value === undefined)
    throw new QualityGateError(
      `quality gate: metric ${gate.metric} was not measured (measured: ${Object.keys(metrics).join(', ') || 'none'}). Fix: provide training data (training.data) or change model.quality_gate in config.yaml.`,
    );
  if (gate.min !== undefined && value < gate.min)
    throw new QualityGateError(
      `quality gate failed: ${gate.metric} = ${value} is below the minimum ${gate.min} (model.quality_gate.min). No model bundle was written.`,
    );
  if (gate.max !== undefined && value > gate.max)
    throw new QualityGateError(
      `quality gate failed: ${gate.metric} = ${value} is above the maximum ${gate.max} (model.quality_gate.max). No model bundle was written.`,
    );
}

/** `npm run train` (the service's src/train.ts): config.yaml -> model bundle in model.dir; exits 1 with the reason on failure. */
export async function runTraining(definition: TrainingDefinition): Promise<void> {
  try {
    const config = loadConfig();
    const started = Date.now();
    const { metadata } = await trainAndWriteBundle(definition, config, { log: (line) => console.log(line) });
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(metadata.metrics)}`);
  } catch (e) {
    console.error(`npm run train failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
