// OnnxModelRuntime: an onnxruntime-node session over a model bundle (see bundle.ts).
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Preprocessor, PreprocessorFactory } from '../contract.js';
import type { ModelSpec, Row } from '../schemas/model-spec.js';
import type { DriftReference } from '../monitoring/drift-reference.js';
import { BUNDLE_FILES, ModelLoadError, readBundle } from './bundle.js';
import { createFeeder, runRows, type Feeder } from './feeds.js';
import { ModelInspectionError, planInputs, type FeedType, type InputPlan, type ModelInput } from './input-plan.js';
import type { ModelMetadata, ModelRuntime, Prediction } from './runtime.js';

const FEED_TYPES: readonly string[] = ['float32', 'float64', 'int64', 'string'] satisfies FeedType[];

/** An input as onnxruntime describes it (a dynamic dimension comes as a name or ""). */
function sessionInput(m: ort.InferenceSession.ValueMetadata): ModelInput {
  if (!m.isTensor) return { name: m.name, type: null, typeText: 'a non-tensor value', dims: [] };
  const type = FEED_TYPES.includes(m.type) ? (m.type as FeedType) : null;
  return { name: m.name, type, typeText: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : String(d) || '?')) };
}

export { ModelLoadError } from './bundle.js';

/** predict() was called before load() finished (the HTTP side answers 503). */
export class ModelNotReadyError extends Error {
  override readonly name = 'ModelNotReadyError';
  constructor() {
    super('the model is not loaded yet');
  }
}

export interface OnnxModelRuntimeOptions {
  /** The bundle dir (config.yaml model.dir). */
  dir: string;
  /** Spec the bundle is checked against (the service's features.yaml). */
  spec: ModelSpec;
  /** Rebuilds the bundle's preprocessor (the service's src/contract/preprocessor.ts). */
  Preprocessor: PreprocessorFactory;
  /** Row of the warm-up inference (default: each feature's example). */
  exampleRow?: Row;
  /** top_n used by the warm-up inference (default 3). */
  topN?: number;
  /** Overrides of the session options (default: one thread each, see below). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/**
 * One intra-op and one inter-op thread: for a model this small a thread pool costs more in hand-off
 * than it saves, and it would compete with the event loop for the pod's CPU; scale with replicas instead.
 */
const DEFAULT_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export class OnnxModelRuntime implements ModelRuntime {
  private session: ort.InferenceSession | null = null;
  private preprocessor: Preprocessor | null = null;
  private meta: ModelMetadata | null = null;
  private ref: DriftReference | null = null;
  private readonly dir: string;
  private readonly spec: ModelSpec;
  private readonly factory: PreprocessorFactory;
  private readonly warmUpRow: Row;
  private readonly topN: number;
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  // Fixed per model, computed once in load() for the hot path.
  private feed: Feeder = () => ({});
  private batch: number | null = null;
  private fetches: string[] = [];
  private classes: string[] = [];
  /** classes[i] is `__proto__`: it must be set with defineProperty on the answer object. */
  private protoClass: boolean[] = [];
  private isReady = false;

  constructor(options: OnnxModelRuntimeOptions) {
    this.dir = resolve(options.dir);
    this.spec = options.spec;
    this.factory = options.Preprocessor;
    this.warmUpRow = options.exampleRow ?? Object.fromEntries(options.spec.features.map((f) => [f.name, f.example]));
    this.topN = options.topN ?? 3;
    this.sessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...options.sessionOptions };
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** The bundle's drift reference statistics; null when it has none or no model is loaded. */
  get reference(): DriftReference | null {
    return this.isReady ? this.ref : null;
  }

  get metadata(): ModelMetadata {
    if (!this.meta) throw new ModelNotReadyError();
    return this.meta;
  }

  async load(): Promise<void> {
    await this.close(); // a second load() replaces the model: not ready until the new one is warmed up
    const bundle = readBundle(this.dir, this.spec);
    const preprocessorPath = `${this.dir}/${BUNDLE_FILES.preprocessor}`;
    const modelPath = `${this.dir}/${BUNDLE_FILES.model}`;
    let preprocessor: Preprocessor;
    try {
      preprocessor = this.factory.fromState(bundle.preprocessor);
    } catch (e) {
      throw new ModelLoadError(
        `${preprocessorPath} is not a state of src/contract/preprocessor.ts (${(e as Error).message}). Fix: run \`npm run train\` again.`,
        preprocessorPath,
      );
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bundle.onnx, this.sessionOptions);
    } catch (e) {
      throw new ModelLoadError(
        `${modelPath} is not a valid ONNX model (${(e as Error).message.split('\n')[0]}). Fix: run \`npm run train\` again, or check model.onnx_path.`,
        modelPath,
      );
    }
    try {
      const plan = this.inputPlan(session, preprocessor.width, modelPath);
      this.checkSignature(session, bundle.metadata, modelPath);
      this.session = session;
      this.preprocessor = preprocessor;
      this.meta = bundle.metadata;
      this.ref = bundle.reference ?? null;
      this.feed = createFeeder(plan, preprocessor, this.spec.features);
      this.batch = plan.batch;
      const outs = bundle.metadata.onnx.outputs;
      // Classification fetches only the probabilities and takes the label as their argmax (so the label
      // always agrees with the top probability); the int64 label output is read only when there are no
      // probabilities. Skipping it saves about a quarter of session.run's time at batch 1.
      const fetch = this.spec.task === 'classification' ? (outs.probabilities ?? outs.label) : outs.value;
      this.fetches = [fetch!];
      this.classes = bundle.metadata.classes ?? [];
      this.protoClass = this.classes.map((c) => c === '__proto__');
      await this.run([this.warmUpRow], this.topN);
    } catch (e) {
      await session.release().catch(() => undefined);
      this.session = null;
      this.preprocessor = null;
      this.meta = null;
      if (e instanceof ModelLoadError) throw e;
      throw new ModelLoadError(
        `the warm-up inference on ${modelPath} failed (${(e as Error).message.split('\n')[0]}). Fix: run \`npm run train\` again.`,
        modelPath,
      );
    }
    this.isReady = true;
  }

  /** How rows reach the model's inputs (one input [N, width] of the preprocessor's values, or one per feature). */
  private inputPlan(session: ort.InferenceSession, width: number, path: string): InputPlan {
    try {
      return planInputs(session.inputMetadata.map(sessionInput), this.spec, width);
    } catch (e) {
      if (!(e instanceof ModelInspectionError)) throw e;
      throw new ModelLoadError(
        `${path}: ${e.problems.map((p) => `${p.key}: ${p.message}`).join('; ')} (or run \`npm run train\` again).`,
        path,
      );
    }
  }

  /** The session's outputs must be what metadata.json says. */
  private checkSignature(session: ort.InferenceSession, m: ModelMetadata, path: string): void {
    const fail = (what: string) => {
      throw new ModelLoadError(
        `${path}: ${what}. Fix: run \`npm run train\` again (or, for a brought model, fix model.outputs in config.yaml).`,
        path,
      );
    };
    for (const [role, name] of Object.entries(m.onnx.outputs)) {
      if (!name) continue;
      const out = session.outputMetadata.find((o) => o.name === name);
      if (!out) fail(`the model has no ${role} output ${JSON.stringify(name)} (its outputs: ${session.outputNames.join(', ')})`);
      if (out && !out.isTensor)
        fail(
          `the ${role} output ${JSON.stringify(name)} is not a tensor (a ZipMap? \`npm run train\` packs a brought model so that its input tensor is served instead)`,
        );
    }
    const probs = m.onnx.outputs.probabilities;
    const classes = m.classes?.length ?? 0;
    const pOut = session.outputMetadata.find((o) => o.name === probs);
    if (probs && pOut?.isTensor) {
      const c = pOut.shape[pOut.shape.length - 1];
      if (typeof c === 'number' && c !== classes)
        fail(`output ${JSON.stringify(probs)} gives ${c} probabilities per row; metadata.json lists ${classes} classes`);
    }
  }

  async predict(rows: Row[], topN: number): Promise<Prediction[]> {
    if (!this.isReady) throw new ModelNotReadyError();
    return this.run(rows, topN);
  }

  private async run(rows: Row[], topN: number): Promise<Prediction[]> {
    const session = this.session!;
    const n = rows.length;
    // session.run does its work on the calling thread (onnxruntime issue 19611): it blocks the event
    // loop for ~25 µs at this model size, less than handing it to a worker would cost.
    const out = await runRows(session, this.feed, rows, this.fetches, this.batch);
    const { outputs } = this.meta!.onnx;
    if (this.spec.task === 'regression') {
      const values = out[outputs.value!]! as Float32Array;
      const result: Prediction[] = new Array(n);
      // A float32 output holds seven significant digits; a float64 one is answered as it is.
      if (values instanceof Float64Array) for (let i = 0; i < n; i++) result[i] = { label: null, value: values[i]! };
      else for (let i = 0; i < n; i++) result[i] = { label: null, value: Number(values[i]!.toPrecision(7)) };
      return result;
    }
    const probs = outputs.probabilities ? (out[outputs.probabilities]! as Float32Array) : null;
    const labels = probs ? null : out[outputs.label!]!;
    const C = this.classes.length;
    const k = Math.min(Math.max(1, topN), C);
    const order = new Int32Array(C);
    const result: Prediction[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let label: string;
      if (labels) label = this.labelAt(labels, i);
      else label = this.classes[argmax(probs!, i * C, C)]!;
      if (!probs) {
        result[i] = { label };
        continue;
      }
      topK(probs, i * C, C, k, order);
      const probabilities: Record<string, number> = {};
      for (let j = 0; j < k; j++) {
        const c = order[j]!;
        const p = round6(probs[i * C + c]!);
        if (this.protoClass[c])
          Object.defineProperty(probabilities, '__proto__', { value: p, enumerable: true, writable: true, configurable: true });
        else probabilities[this.classes[c]!] = p;
      }
      result[i] = { label, probabilities };
    }
    return result;
  }

  /** Label output: one of the model's label_values (a brought model), an int64 class index (BigInt64Array), another integer index, or the class name itself. */
  private labelAt(labels: ort.Tensor['data'], i: number): string {
    const v = labels[i];
    const own = this.meta!.onnx.label_values;
    if (own) {
      const name = this.classes[own.indexOf(String(v))];
      if (name === undefined)
        throw new Error(`the model's label output gave ${JSON.stringify(String(v))}, not one of its labels ${JSON.stringify(own)}`);
      return name;
    }
    if (typeof v === 'string') return v;
    const idx = Number(v);
    const name = this.classes[idx];
    if (name === undefined)
      throw new Error(`the model's label output gave class index ${String(v)}; metadata.json lists ${this.classes.length} classes`);
    return name;
  }

  async close(): Promise<void> {
    this.isReady = false;
    const session = this.session;
    this.session = null;
    if (session) await session.release();
  }
}

function argmax(p: Float32Array, from: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (p[from + c]! > p[from + best]!) best = c;
  return best;
}

/** Writes into `order` the indices of the k largest of p[from..from+count), highest first (ties: lower index). */
function topK(p: Float32Array, from: number, count: number, k: number, order: Int32Array): void {
  if (k > 8) {
    for (let c = 0; c < count; c++) order[c] = c;
    order.sort((a, b) => p[from + b]! - p[from + a]! || a - b);
    return;
  }
  for (let j = 0; j < k; j++) {
    let best = -1;
    for (let c = 0; c < count; c++) {
      let taken = false;
      for (let t = 0; t < j; t++) if (order[t] === c) taken = true;
      if (!taken && (best < 0 || p[from + c]! > p[from + best]!)) best = c;
    }
    order[j] = best;
  }
}
