// Rows -> the model's input tensors (the layout planned by input-plan.ts), and one model run over any
// number of rows for a model whose batch size is fixed (split, the last part padded, answers joined).
import * as ort from 'onnxruntime-node';
import type { Preprocessor } from '../contract.js';
import type { Row } from '../schemas/model-spec.js';
import type { FeatureSpec } from '../schemas/model-spec.js';
import type { InputPlan } from './input-plan.js';

export type Feeds = Record<string, ort.Tensor>;
export type Feeder = (rows: Row[]) => Feeds;

const own = (row: Row, name: string): unknown =>
  Object.prototype.hasOwnProperty.call(row, name) ? (row as Record<string, unknown>)[name] : undefined;
const numberOf = (v: unknown): number =>
  v === true ? 1 : v === false ? 0 : typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
const int64Of = (x: number): bigint => (Number.isFinite(x) ? BigInt(Math.round(x)) : 0n);

/** The feeds of one run. A single float32 input takes the preprocessor's output as it is. */
export function createFeeder(plan: InputPlan, preprocessor: Preprocessor, features: FeatureSpec[]): Feeder {
  const layout = plan.layout;
  if (layout.kind === 'matrix') {
    const { input, type, width } = layout;
    if (type === 'float32') return (rows) => ({ [input]: new ort.Tensor('float32', preprocessor.transform(rows), [rows.length, width]) });
    // float64 / int64 take each number feature's own value (the preprocessor's float32 would round it).
    const exact = features
      .map((f, i) => (f.type === 'number' || f.type === 'integer' || f.type === 'boolean' ? i : -1))
      .filter((i) => i >= 0 && width === features.length);
    return (rows) => {
      const X = preprocessor.transform(rows);
      const values = type === 'float64' ? Float64Array.from(X) : BigInt64Array.from(X, int64Of);
      for (let r = 0; r < rows.length; r++)
        for (const i of exact) {
          const x = numberOf(own(rows[r]!, features[i]!.name));
          if (Number.isFinite(x)) values[r * width + i] = type === 'float64' ? x : (int64Of(x) as never);
        }
      return { [input]: new ort.Tensor(type, values, [rows.length, width]) };
    };
  }
  const columns = layout.columns;
  return (rows) => {
    const feeds: Feeds = {};
    const n = rows.length;
    for (const c of columns) {
      if (c.type === 'string') {
        const values = new Array<string>(n);
        for (let r = 0; r < n; r++) {
          const v = own(rows[r]!, c.feature);
          values[r] = v === undefined || v === null ? '' : String(v);
        }
        feeds[c.input] = new ort.Tensor('string', values, [n, 1]);
        continue;
      }
      const values = c.type === 'float32' ? new Float32Array(n) : c.type === 'float64' ? new Float64Array(n) : new BigInt64Array(n);
      for (let r = 0; r < n; r++) {
        const x = numberOf(own(rows[r]!, c.feature));
        values[r] = (c.type === 'int64' ? int64Of(x) : x) as never;
      }
      feeds[c.input] = new ort.Tensor(c.type, values, [n, 1]);
    }
    return feeds;
  };
}

type Data = ort.Tensor['data'];

/**
 * Runs the model on `rows`. With a fixed batch size B the rows go in runs of B, the last run padded
 * with copies of its last row; each output keeps the first rows.length rows, in order.
 */
export async function runRows(
  session: ort.InferenceSession,
  feed: Feeder,
  rows: Row[],
  fetches: string[],
  batch: number | null,
): Promise<Record<string, Data>> {
  if (batch === null || rows.length === batch) {
    const out = await session.run(feed(rows), fetches);
    return Object.fromEntries(fetches.map((f) => [f, out[f]!.data]));
  }
  const parts: Record<string, Data[]> = Object.fromEntries(fetches.map((f) => [f, []]));
  for (let from = 0; from < rows.length; from += batch) {
    const chunk = rows.slice(from, from + batch);
    const real = chunk.length;
    while (chunk.length < batch) chunk.push(chunk[real - 1]!);
    const out = await session.run(feed(chunk), fetches);
    for (const f of fetches) {
      const data = out[f]!.data;
      parts[f]!.push(data.slice(0, (data.length / batch) * real) as Data);
    }
  }
  return Object.fromEntries(fetches.map((f) => [f, join(parts[f]!)]));
}

function join(parts: Data[]): Data {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as unknown[][]).flat() as Data;
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new (first.constructor as new (n: number) => Exclude<Data, string[]>)(total);
  let at = 0;
  for (const p of parts) {
    (out as Float32Array).set(p as Float32Array, at);
    at += p.length;
  }
  return out;
}
