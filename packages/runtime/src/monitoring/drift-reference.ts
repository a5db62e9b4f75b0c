// Reference statistics of the training data (model bundle file reference.json), written by
// `npm run train` and read by the drift monitor (drift.ts). Per feature:
//   number / integer   quantile bin edges (REFERENCE_BINS bins) with the training fraction per bin,
//                      and a sorted sample of at most REFERENCE_SAMPLE values (the KS statistic's reference)
//   boolean / category the fraction of each value (plus an "other" bucket for values outside them)
//   string             the missing rate only
// plus, for every feature, the missing rate. Feature names are data: features are an array, never
// an object keyed by name.
import { z } from 'zod';
import type { FeatureSpec, ModelSpec } from '../schemas/model-spec.js';

export const REFERENCE_BINS = 10;
export const REFERENCE_SAMPLE = 1_000;

export type NumericReference = {
  name: string;
  type: 'number' | 'integer';
  /** Training rows of the reference (missing values included). */
  rows: number;
  missing_rate: number;
  /** Bin i holds x <= edges[i] (and > edges[i-1]); the last bin holds x > the last edge. Ascending, no duplicates. */
  edges: number[];
  /** Fraction of the non-missing training values per bin: edges.length + 1 values. */
  fractions: number[];
  /** Sorted non-missing training values (evenly spaced order statistics when there are more than REFERENCE_SAMPLE). */
  sample: number[];
  min: number | null;
  max: number | null;
  mean: number | null;
};

export type CategoricalReference = {
  name: string;
  type: 'boolean' | 'category';
  rows: number;
  missing_rate: number;
  /** The values (booleans as "false" / "true"), and the fraction of the non-missing training values of each. */
  values: string[];
  fractions: number[];
  /** Fraction of non-missing training values that are none of `values`. */
  other_fraction: number;
};

export type StringReference = { name: string; type: 'string'; rows: number; missing_rate: number };

export type FeatureReference = NumericReference | CategoricalReference | StringReference;

export interface DriftReference {
  version: 1;
  /** The model this reference was written with (metadata.json model_uuid). */
  model_uuid: string;
  created_at: string;
  /** Training rows the statistics were computed on. */
  rows: number;
  features: FeatureReference[];
}

const fraction = z.number().min(0).max(1);
const FeatureReferenceSchema = z.discriminatedUnion('type', [
  z.object({
    name: z.string(),
    type: z.enum(['number', 'integer']),
    rows: z.number().int().min(0),
    missing_rate: fraction,
    edges: z.array(z.number()),
    fractions: z.array(fraction),
    sample: z.array(z.number()),
    min: z.number().nullable(),
    max: z.number().nullable(),
    mean: z.number().nullable(),
  }),
  z.object({
    name: z.string(),
    type: z.enum(['boolean', 'category']),
    rows: z.number().int().min(0),
    missing_rate: fraction,
    values: z.array(z.string()),
    fractions: z.array(fraction),
    other_fraction: fraction,
  }),
  z.object({ name: z.string(), type: z.literal('string'), rows: z.number().int().min(0), missing_rate: fraction }),
]);

export const DriftReferenceSchema = z.object({
  version: z.literal(1),
  model_uuid: z.string().min(1),
  created_at: z.string(),
  rows: z.number().int().min(0),
  features: z.array(FeatureReferenceSchema),
});

/**
 * Checks a parsed reference.json against the spec: one entry per feature, in spec order, of the
 * feature's type, with consistent array lengths. Returns the reason it does not fit, or null.
 */
export function referenceProblem(ref: DriftReference, spec: ModelSpec, modelUuid: string): string | null {
  if (ref.model_uuid !== modelUuid) return `it was written for model ${ref.model_uuid}, metadata.json is model ${modelUuid}`;
  if (ref.features.length !== spec.features.length) return `it has ${ref.features.length} features, features.yaml ${spec.features.length}`;
  for (let i = 0; i < spec.features.length; i++) {
    const f = spec.features[i]!;
    const r = ref.features[i]!;
    if (r.name !== f.name || r.type !== f.type)
      return `feature ${i + 1} is ${JSON.stringify(r.name)} (${r.type}), features.yaml has ${JSON.stringify(f.name)} (${f.type})`;
    if ((r.type === 'number' || r.type === 'integer') && r.fractions.length !== r.edges.length + 1)
      return `feature ${JSON.stringify(r.name)}: ${r.edges.length} edges need ${r.edges.length + 1} fractions`;
    if ((r.type === 'boolean' || r.type === 'category') && r.fractions.length !== r.values.length)
      return `feature ${JSON.stringify(r.name)}: ${r.values.length} values but ${r.fractions.length} fractions`;
  }
  return null;
}

/** The value of a row's own property `name` (never one inherited, e.g. `__proto__` or `constructor`). */
export const ownValue = (row: object, name: string): unknown =>
  Object.hasOwn(row, name) ? (row as Record<string, unknown>)[name] : undefined;

/** The missing-value rule of the drift statistics: absent, null or empty string. */
export const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';

/** A numeric feature's value as a finite number, or null (missing, or not a number). */
export function numericValue(v: unknown): number | null {
  if (isMissing(v)) return null;
  const x = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(x) ? x : null;
}

/** A boolean or category value as the string the reference lists it under, or null when missing. */
export function categoricalValue(v: unknown): string | null {
  if (isMissing(v)) return null;
  return String(v);
}

/** The index of x's bin: the first i with x <= edges[i], else edges.length (binary search). */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The q-quantile of sorted values: the smallest value with at least a fraction q of the values at or below it (no interpolation, so an integer feature's edges are values it takes). */
export function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length - 1e-9) - 1));
  return sorted[i]!;
}

/** Bin edges at the quantiles 1/bins .. (bins-1)/bins, duplicates dropped (ties of integer features). */
export function quantileEdges(sorted: readonly number[], bins: number): number[] {
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantile(sorted, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  // An edge at the maximum leaves the last bin empty: drop it.
  while (edges.length > 0 && edges[edges.length - 1]! >= sorted[sorted.length - 1]!) edges.pop();
  return edges;
}

/** At most `size` evenly spaced order statistics of sorted values (all of them when there are fewer). */
export function sortedSample(sorted: readonly number[], size: number): number[] {
  if (sorted.length <= size) return [...sorted];
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(sorted[Math.floor(((i + 0.5) * sorted.length) / size)]!);
  return out;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The values a boolean or category feature is counted under. */
export function categoricalValues(f: FeatureSpec, seen: Iterable<string> = []): string[] {
  if (f.type === 'boolean') return ['false', 'true'];
  if (f.values && f.values.length > 0) return [...f.values];
  return [...new Set(seen)].sort();
}

function featureReference(f: FeatureSpec, rows: readonly object[], bins: number, sampleSize: number): FeatureReference {
  const n = rows.length;
  const values = rows.map((row) => ownValue(row, f.name));
  const missing = values.filter(isMissing).length;
  const missingRate = n === 0 ? 0 : round(missing / n);
  if (f.type === 'number' || f.type === 'integer') {
    const xs = values
      .map(numericValue)
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    const edges = quantileEdges(xs, bins);
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of xs) counts[binIndex(edges, x)]!++;
    return {
      name: f.name,
      type: f.type,
      rows: n,
      missing_rate: missingRate,
      edges,
      fractions: counts.map((c) => (xs.length === 0 ? 0 : round(c / xs.length))),
      sample: sortedSample(xs, sampleSize),
      min: xs.length ? xs[0]! : null,
      max: xs.length ? xs[xs.length - 1]! : null,
      mean: xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null,
    };
  }
  if (f.type === 'boolean' || f.type === 'category') {
    const present = values.map(categoricalValue).filter((v): v is string => v !== null);
    const names = categoricalValues(f, present);
    const index = new Map(names.map((v, i) => [v, i]));
    const counts = new Array<number>(names.length).fill(0);
    let other = 0;
    for (const v of present) {
      const i = index.get(v);
      if (i === undefined) other++;
      else counts[i]!++;
    }
    const total = present.length;
    return {
      name: f.name,
      type: f.type,
      rows: n,
      missing_rate: missingRate,
      values: names,
      fractions: counts.map((c) => (total === 0 ? 0 : round(c / total))),
      other_fraction: total === 0 ? 0 : round(other / total),
    };
  }
  return { name: f.name, type: 'string', rows: n, missing_rate: missingRate };
}

/** The reference statistics of the training rows (called by `npm run train`). */
export function computeReference(
  rows: readonly object[],
  spec: ModelSpec,
  modelUuid: string,
  options: { bins?: number; sampleSize?: number; now?: Date } = {},
): DriftReference {
  const bins = options.bins ?? REFERENCE_BINS;
  const sampleSize = options.sampleSize ?? REFERENCE_SAMPLE;
  return {
    version: 1,
    model_uuid: modelUuid,
    created_at: (options.now ?? new Date()).toISOString(),
    rows: rows.length,
    features: spec.features.map((f) => featureReference(f, rows, bins, sampleSize)),
  };
}
