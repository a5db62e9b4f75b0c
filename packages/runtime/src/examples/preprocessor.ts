// The example Preprocessor: number/integer features are standardized ((x - mean) / std); booleans
// become 0/1; categories are one-hot over their `values` in features.yaml; string features are ignored
// (they need an encoding of your choice). A missing optional feature takes its default, else the
// training mean (numbers), else 0. `raw` is the input layout of a brought model: numbers as they are,
// booleans 0/1, categories as their index. transform runs on every request: its plan is built once.
import type { Preprocessor } from '../contract.js';
import type { FeatureSpec, FeatureValue, ModelSpec, Row } from '../schemas/model-spec.js';

export type Encoding = 'standardize' | 'raw';

/** What one feature contributes to the model input. */
export type FeatureState =
  | { name: string; kind: 'number'; mean: number; std: number; fill: number }
  | { name: string; kind: 'boolean'; fill: number }
  | { name: string; kind: 'one_hot'; values: string[]; fill: string | null }
  | { name: string; kind: 'index'; values: string[]; fill: number }
  | { name: string; kind: 'ignored' };

export interface PreprocessorState {
  version: 1;
  encoding: Encoding;
  width: number;
  features: FeatureState[];
}

/** The value of a row's own property `name` (never one inherited, e.g. `__proto__` or `constructor`). */
const own = (row: Row, name: string): unknown => (Object.hasOwn(row, name) ? (row as Record<string, unknown>)[name] : undefined);

const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** Mean of a numeric feature over the rows that have it (0 when none has it). */
function meanOf(rows: Row[], name: string): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const row of rows) {
    const v = own(row, name);
    if (isMissing(v)) continue;
    const x = toNumber(v);
    if (!Number.isFinite(x)) continue;
    n++;
    sum += x;
    sumSq += x * x;
  }
  if (n === 0) return { mean: 0, std: 1 };
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  return { mean, std: std > 1e-12 ? std : 1 };
}

function featureState(f: FeatureSpec, rows: Row[], encoding: Encoding): FeatureState {
  const def: FeatureValue | undefined = f.default;
  switch (f.type) {
    case 'number':
    case 'integer': {
      const { mean, std } = encoding === 'standardize' ? meanOf(rows, f.name) : { mean: 0, std: 1 };
      const trainingMean = meanOf(rows, f.name).mean;
      const fill = def !== undefined ? toNumber(def) : trainingMean;
      return { name: f.name, kind: 'number', mean, std, fill };
    }
    case 'boolean':
      return {
        name: f.name,
        kind: 'boolean',
        fill: def !== undefined ? toNumber(def) : encoding === 'standardize' ? meanOf(rows, f.name).mean : 0,
      };
    case 'category': {
      const values = [...(f.values ?? [])];
      if (encoding === 'raw') return { name: f.name, kind: 'index', values, fill: def !== undefined ? values.indexOf(String(def)) : -1 };
      return { name: f.name, kind: 'one_hot', values, fill: def !== undefined ? String(def) : null };
    }
    case 'string':
      // The example does not encode free text; in the raw layout of a brought model it takes a 0 slot.
      return encoding === 'raw' ? { name: f.name, kind: 'number', mean: 0, std: 1, fill: 0 } : { name: f.name, kind: 'ignored' };
  }
}

const widthOf = (s: FeatureState): number => (s.kind === 'one_hot' ? s.values.length : s.kind === 'ignored' ? 0 : 1);

/** One precomputed step of transform: where the feature's values go and how they are encoded. */
interface Step {
  name: string;
  kind: FeatureState['kind'];
  offset: number;
  mean: number;
  invStd: number;
  /** Encoded value written when the feature is missing (number/boolean/index), or the one-hot slot (-1: none). */
  fill: number;
  /** Category value -> slot (one_hot) or index (index). A Map, so any string is a safe key. */
  slots: Map<string, number> | null;
}

export class ExamplePreprocessor implements Preprocessor {
  readonly width: number;
  private readonly plan: Step[];

  private constructor(private readonly st: PreprocessorState) {
    this.width = st.width;
    let offset = 0;
    this.plan = [];
    for (const f of st.features) {
      if (f.kind === 'ignored') continue;
      const step: Step = { name: f.name, kind: f.kind, offset, mean: 0, invStd: 1, fill: 0, slots: null };
      if (f.kind === 'number') {
        step.mean = f.mean;
        step.invStd = 1 / f.std;
        step.fill = (f.fill - f.mean) / f.std;
      } else if (f.kind === 'boolean') {
        step.fill = f.fill;
      } else {
        step.slots = new Map(f.values.map((v, i) => [v, i]));
        step.fill = f.kind === 'index' ? f.fill : f.fill === null ? -1 : (step.slots.get(f.fill) ?? -1);
      }
      this.plan.push(step);
      offset += widthOf(f);
    }
  }

  /** Learns means and standard deviations from the training rows. */
  static fit(rows: Row[], spec: ModelSpec): ExamplePreprocessor {
    return ExamplePreprocessor.build(
      spec.features.map((f) => featureState(f, rows, 'standardize')),
      'standardize',
    );
  }

  /** The input layout of a brought model: features in order, numbers as-is, booleans 0/1, categories as index. */
  static raw(rows: Row[], spec: ModelSpec): ExamplePreprocessor {
    return ExamplePreprocessor.build(
      spec.features.map((f) => featureState(f, rows, 'raw')),
      'raw',
    );
  }

  static fromState(state: unknown): ExamplePreprocessor {
    const s = state as PreprocessorState;
    if (!s || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.features)) throw new Error('not a version-1 preprocessor state');
    for (const f of s.features) {
      const ok =
        f &&
        typeof f.name === 'string' &&
        ((f.kind === 'number' && [f.mean, f.std, f.fill].every(Number.isFinite) && f.std !== 0) ||
          (f.kind === 'boolean' && Number.isFinite(f.fill)) ||
          ((f.kind === 'one_hot' || f.kind === 'index') && Array.isArray(f.values) && f.values.every((v) => typeof v === 'string')) ||
          f.kind === 'ignored');
      if (!ok) throw new Error(`feature ${JSON.stringify(f?.name)}: malformed state ${JSON.stringify(f)}`);
    }
    const width = s.features.reduce((a, f) => a + widthOf(f), 0);
    if (width !== s.width) throw new Error(`width ${s.width} does not match its features (${width})`);
    return new ExamplePreprocessor(structuredClone(s));
  }

  private static build(features: FeatureState[], encoding: Encoding): ExamplePreprocessor {
    return new ExamplePreprocessor({ version: 1, encoding, width: features.reduce((a, f) => a + widthOf(f), 0), features });
  }

  state(): PreprocessorState {
    return structuredClone(this.st);
  }

  /** Rows (already validated) -> Float32Array [rows.length, width], row-major. */
  transform(rows: Row[]): Float32Array {
    const width = this.width;
    const out = new Float32Array(rows.length * width);
    const plan = this.plan;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const base = r * width;
      for (let k = 0; k < plan.length; k++) {
        const s = plan[k]!;
        const v = own(row, s.name);
        const at = base + s.offset;
        switch (s.kind) {
          case 'number': {
            const x = isMissing(v) ? NaN : toNumber(v);
            out[at] = Number.isFinite(x) ? (x - s.mean) * s.invStd : s.fill;
            break;
          }
          case 'boolean':
            out[at] = isMissing(v) ? s.fill : v === true || v === 1 || v === 'true' ? 1 : 0;
            break;
          case 'one_hot': {
            // An unknown category (not in `values`) gets all zeros.
            const slot = isMissing(v) ? s.fill : (s.slots!.get(String(v)) ?? -1);
            if (slot >= 0) out[at + slot] = 1;
            break;
          }
          case 'index':
            out[at] = isMissing(v) ? s.fill : (s.slots!.get(String(v)) ?? -1);
            break;
          default:
            break;
        }
      }
    }
    return out;
  }
}
