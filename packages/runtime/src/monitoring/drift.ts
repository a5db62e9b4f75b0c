// Drift monitoring (docs/DRIFT.md): a sliding window of the recent request rows, compared per feature
// with the training data's reference statistics (reference.json of the model bundle, drift-reference.ts).
//
// Hot path (observe, once per predicted row): O(features). Each feature keeps, in a ring buffer of
// monitoring.drift.window_size slots, the bin each row fell in (and the value, for the KS statistic of
// numeric features), and the count per bin, updated incrementally as rows enter and leave the window.
// PSI and KS are computed lazily: on a Prometheus scrape, on GET /monitoring/drift, and every
// monitoring.drift.check_every_rows rows. A feature whose PSI or KS reaches its threshold is reported
// once when it crosses (under -> over), and once when it comes back (over -> under).
import type { FastifyBaseLogger } from 'fastify';
import type { ModelMetadata } from '../model/runtime.js';
import type { PredictionListener } from '../prediction-event.js';
import type { ModelSpec } from '../schemas/model-spec.js';
import {
  binIndex,
  categoricalValue,
  isMissing,
  numericValue,
  ownValue,
  type DriftReference,
  type FeatureReference,
} from './drift-reference.js';

/** config.yaml monitoring.drift. */
export interface DriftConfig {
  enabled: boolean;
  window_size: number;
  window_seconds?: number | undefined;
  min_rows: number;
  psi_threshold: number;
  ks_threshold: number;
  check_every_rows: number;
}

/** Fractions below this count as this in PSI (an empty bin would make it infinite). */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of `actual` against `expected` (two distributions over the same bins,
 * each summing to 1): sum over bins of (a - e) * ln(a / e), with fractions floored at PSI_EPSILON.
 * Rule of thumb: < 0.1 no change, 0.1-0.2 some, > 0.2 a shift worth a look.
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) throw new Error(`psi: ${expected.length} expected fractions, ${actual.length} actual`);
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, epsilon);
    const a = Math.max(actual[i]!, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * Two-sample Kolmogorov-Smirnov statistic of two SORTED samples: the largest distance between
 * their empirical CDFs (ties handled: both CDFs step past a shared value together). Null when a
 * sample is empty.
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return null;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/** A threshold crossing of one feature: what the drift log record and the stdout warning carry. */
export interface DriftWarning {
  /** 'drifted': the feature crossed a threshold; 'recovered': it is back under both. */
  status: 'drifted' | 'recovered';
  feature: string;
  feature_type: FeatureReference['type'];
  psi: number | null;
  ks: number | null;
  /** Which statistics are at or over their threshold. */
  over: ('psi' | 'ks')[];
  psi_threshold: number;
  ks_threshold: number;
  window_rows: number;
  window_size: number;
  window_seconds: number | null;
  model: { name: string; uuid: string; created_at: string };
}

export type DriftListener = (warning: DriftWarning) => void;

/** One feature's drift, as GET /monitoring/drift and the gauges show it. */
export interface FeatureDrift {
  name: string;
  type: FeatureReference['type'];
  /** Null until the window holds min_rows rows. */
  psi: number | null;
  /** Numeric features only; null otherwise and until the window holds min_rows rows. */
  ks: number | null;
  drifted: boolean;
  /** The training reference (without its value sample). */
  reference: Record<string, unknown>;
  /** Row counts of the window: per bin / value, aligned with the reference; `missing` rows lack the feature. */
  window: { rows: number; missing: number; counts: number[]; other?: number };
}

export interface DriftReport {
  enabled: boolean;
  /** ok: values computed; warming_up: fewer than min_rows rows; no_reference: the bundle has no reference.json; not_loaded; disabled. */
  status: 'ok' | 'warming_up' | 'no_reference' | 'not_loaded' | 'disabled';
  model: { name: string; uuid: string; created_at: string } | null;
  window: { rows: number; size: number; seconds: number | null; min_rows: number };
  thresholds: { psi: number; ks: number };
  /** Names of the drifted features, in features.yaml order. */
  drifted: string[];
  features: FeatureDrift[];
}

/** What the monitor needs of the model runtime. */
export interface DriftModelSource {
  readonly ready: boolean;
  readonly metadata: ModelMetadata;
  readonly reference?: DriftReference | null;
}

export interface DriftMonitorOptions {
  config: DriftConfig;
  spec: ModelSpec;
  runtime: DriftModelSource;
  /** stdout: notes (no reference) and, without onDrift, the crossings. */
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** Called once per crossing (e.g. the prediction log's Fluentd record). */
  onDrift?: DriftListener;
  /** Clock in ms (tests). */
  now?: () => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The drift monitor (src/monitoring/drift.ts), created by buildApp. */
    drift: DriftMonitor;
  }
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** One feature's slice of the window. Bins: the reference's bins / values (+ other), then one for missing. */
class FeatureWindow {
  readonly nBins: number;
  /** Index of the missing bin (the last). */
  readonly missingBin: number;
  readonly counts: Int32Array;
  /** The bin of the row in each ring slot. */
  readonly slotBin: Uint16Array;
  /** Numeric features: the value in each ring slot (NaN when missing), for KS. */
  readonly slotValue: Float64Array | null;
  /** Reference distribution over the same bins (missing included), sums to 1. */
  readonly expected: number[];
  readonly sample: Float64Array | null;
  private readonly categoryIndex: Map<string, number> | null;
  /** Numeric features: the bin edges (null for the others). */
  private readonly edges: Float64Array | null;
  drifted = false;

  constructor(
    readonly ref: FeatureReference,
    capacity: number,
  ) {
    const present = 1 - ref.missing_rate;
    if (ref.type === 'number' || ref.type === 'integer') {
      this.nBins = ref.edges.length + 2;
      this.expected = [...ref.fractions.map((f) => f * present), ref.missing_rate];
      this.slotValue = new Float64Array(capacity);
      this.sample = Float64Array.from(ref.sample);
      this.categoryIndex = null;
      this.edges = Float64Array.from(ref.edges);
    } else if (ref.type === 'boolean' || ref.type === 'category') {
      this.nBins = ref.values.length + 2; // values, other, missing
      this.expected = [...ref.fractions.map((f) => f * present), ref.other_fraction * present, ref.missing_rate];
      this.slotValue = null;
      this.sample = null;
      this.categoryIndex = new Map(ref.values.map((v, i) => [v, i]));
      this.edges = null;
    } else {
      this.nBins = 2; // present, missing
      this.expected = [present, ref.missing_rate];
      this.slotValue = null;
      this.sample = null;
      this.categoryIndex = null;
      this.edges = null;
    }
    this.missingBin = this.nBins - 1;
    this.counts = new Int32Array(this.nBins);
    this.slotBin = new Uint16Array(capacity);
  }

  /** Puts the row's value in ring slot `slot`. */
  add(slot: number, value: unknown): void {
    let bin: number;
    if (this.edges) {
      const x = typeof value === 'number' && Number.isFinite(value) ? value : numericValue(value);
      if (x === null) {
        bin = this.missingBin;
        this.slotValue![slot] = NaN;
      } else {
        bin = binIndex(this.edges, x);
        this.slotValue![slot] = x;
      }
    } else if (this.categoryIndex) {
      const v = categoricalValue(value);
      bin = v === null ? this.missingBin : (this.categoryIndex.get(v) ?? this.nBins - 2);
    } else {
      bin = isMissing(value) ? 1 : 0;
    }
    this.slotBin[slot] = bin;
    this.counts[bin]!++;
  }

  /** Takes ring slot `slot` out of the counts. */
  remove(slot: number): void {
    this.counts[this.slotBin[slot]!]!--;
  }

  psi(rows: number): number {
    const actual = Array.from(this.counts, (c) => c / rows);
    return round6(psi(this.expected, actual));
  }

  /** KS of the window's non-missing values against the reference sample (numeric features). */
  ks(slots: Iterable<number>): number | null {
    if (!this.slotValue || !this.sample) return null;
    const values: number[] = [];
    for (const s of slots) {
      const x = this.slotValue[s]!;
      if (!Number.isNaN(x)) values.push(x);
    }
    const sorted = Float64Array.from(values).sort();
    const d = ksStatistic(sorted, this.sample);
    return d === null ? null : round6(d);
  }

  /** The reference as the report shows it (the value sample left out). */
  summary(): Record<string, unknown> {
    const ref = this.ref;
    if (ref.type === 'number' || ref.type === 'integer')
      return {
        rows: ref.rows,
        missing_rate: ref.missing_rate,
        edges: ref.edges,
        fractions: ref.fractions,
        min: ref.min,
        max: ref.max,
        mean: ref.mean,
        sample_size: ref.sample.length,
      };
    if (ref.type === 'boolean' || ref.type === 'category')
      return {
        rows: ref.rows,
        missing_rate: ref.missing_rate,
        values: ref.values,
        fractions: ref.fractions,
        other_fraction: ref.other_fraction,
      };
    return { rows: ref.rows, missing_rate: ref.missing_rate };
  }

  windowCounts(rows: number): FeatureDrift['window'] {
    const counts = Array.from(this.counts);
    const missing = counts.pop()!;
    if (this.categoryIndex) {
      const other = counts.pop()!;
      return { rows, missing, counts, other };
    }
    return { rows, missing, counts };
  }
}

interface ModelWindow {
  model: ModelMetadata;
  reference: DriftReference;
  features: FeatureWindow[];
}

export class DriftMonitor {
  readonly config: DriftConfig;
  private readonly spec: ModelSpec;
  private readonly runtime: DriftModelSource;
  private readonly logger: DriftMonitorOptions['logger'];
  private readonly onDrift: DriftListener | undefined;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly minRows: number;
  private readonly windowMs: number | null;
  private current: ModelWindow | null = null;
  /** UUID of a loaded model without a usable reference (noted once). */
  private noReference: string | null = null;
  // The ring: slots [head - size, head) modulo capacity, oldest first.
  private head = 0;
  private size = 0;
  private readonly times: Float64Array;
  private sinceCheck = 0;
  private checkScheduled = false;

  constructor(options: DriftMonitorOptions) {
    this.config = options.config;
    this.spec = options.spec;
    this.runtime = options.runtime;
    this.logger = options.logger;
    this.onDrift = options.onDrift;
    this.now = options.now ?? Date.now;
    this.capacity = options.config.window_size;
    this.minRows = Math.min(options.config.min_rows, options.config.window_size);
    this.windowMs = options.config.window_seconds ? options.config.window_seconds * 1000 : null;
    this.times = new Float64Array(options.config.enabled ? this.capacity : 0);
  }

  /** The /predict seam: adds the request's validated rows to the window. Never throws. */
  readonly onPrediction: PredictionListener = (event) => {
    try {
      this.observe(event.rows, event.model);
    } catch (err) {
      this.logger?.warn({ err }, 'drift monitor: rows could not be added to the window');
    }
  };

  /** A listener that feeds this monitor, then calls `next` (buildApp composes it with the prediction log). */
  listener(next?: PredictionListener): PredictionListener {
    if (!this.config.enabled) return next ?? (() => undefined);
    if (!next) return this.onPrediction;
    return (event) => {
      this.onPrediction(event);
      next(event);
    };
  }

  /** Adds rows predicted by `model` to the window (a new model starts a new window). */
  observe(rows: readonly object[], model: ModelMetadata): void {
    if (!this.config.enabled) return;
    const w = this.windowFor(model);
    if (!w) return;
    const now = this.windowMs === null ? 0 : this.now();
    this.expire(now);
    const features = w.features;
    const names = this.spec.features;
    for (const row of rows) {
      if (this.size === this.capacity) this.dropOldest();
      const slot = this.head;
      for (let f = 0; f < features.length; f++) features[f]!.add(slot, ownValue(row, names[f]!.name));
      this.times[slot] = now;
      this.head = (slot + 1) % this.capacity;
      this.size++;
    }
    this.sinceCheck += rows.length;
    if (this.sinceCheck >= this.config.check_every_rows && !this.checkScheduled) {
      this.checkScheduled = true;
      // Off the request path: the check sorts the window's values for KS.
      setImmediate(() => {
        this.checkScheduled = false;
        this.check();
      });
    }
  }

  /** Computes the drift of every feature and reports threshold crossings. */
  check(): DriftReport {
    this.sinceCheck = 0;
    const report = this.compute();
    const w = this.current;
    if (!w) return report;
    report.features.forEach((fd, i) => {
      const fw = w.features[i]!;
      if (fd.drifted === fw.drifted) return;
      fw.drifted = fd.drifted;
      // Under min_rows (a window emptied by window_seconds) states reset without a record.
      if (fd.psi === null && fd.ks === null) return;
      this.report(w, fd);
    });
    return report;
  }

  /** The current drift (as check(), without reporting crossings). */
  compute(): DriftReport {
    const c = this.config;
    const base = {
      enabled: c.enabled,
      window: { rows: 0, size: c.window_size, seconds: c.window_seconds ?? null, min_rows: this.minRows },
      thresholds: { psi: c.psi_threshold, ks: c.ks_threshold },
      drifted: [] as string[],
      features: [] as FeatureDrift[],
    };
    if (!c.enabled) return { ...base, status: 'disabled', model: null };
    if (!this.runtime.ready) return { ...base, status: 'not_loaded', model: null };
    const model = this.runtime.metadata;
    const w = this.windowFor(model);
    const modelRef = { name: model.model_name, uuid: model.model_uuid, created_at: model.created_at };
    if (!w) return { ...base, status: 'no_reference', model: modelRef };
    this.expire(this.now());
    const rows = this.size;
    const enough = rows >= this.minRows && rows > 0;
    const slots = enough ? this.slots() : [];
    const features = w.features.map((fw): FeatureDrift => {
      const p = enough ? fw.psi(rows) : null;
      const k = enough ? fw.ks(slots) : null;
      const drifted = (p !== null && p >= c.psi_threshold) || (k !== null && k >= c.ks_threshold);
      return { name: fw.ref.name, type: fw.ref.type, psi: p, ks: k, drifted, reference: fw.summary(), window: fw.windowCounts(rows) };
    });
    return {
      ...base,
      status: enough ? 'ok' : 'warming_up',
      model: modelRef,
      window: { ...base.window, rows },
      drifted: features.filter((f) => f.drifted).map((f) => f.name),
      features,
    };
  }

  /** Rows in the window now. */
  get windowRows(): number {
    return this.size;
  }

  private report(w: ModelWindow, fd: FeatureDrift): void {
    const c = this.config;
    const over: DriftWarning['over'] = [];
    if (fd.psi !== null && fd.psi >= c.psi_threshold) over.push('psi');
    if (fd.ks !== null && fd.ks >= c.ks_threshold) over.push('ks');
    const warning: DriftWarning = {
      status: fd.drifted ? 'drifted' : 'recovered',
      feature: fd.name,
      feature_type: fd.type,
      psi: fd.psi,
      ks: fd.ks,
      over,
      psi_threshold: c.psi_threshold,
      ks_threshold: c.ks_threshold,
      window_rows: this.size,
      window_size: c.window_size,
      window_seconds: c.window_seconds ?? null,
      model: { name: w.model.model_name, uuid: w.model.model_uuid, created_at: w.model.created_at },
    };
    try {
      if (this.onDrift) this.onDrift(warning);
      else if (warning.status === 'drifted')
        this.logger?.warn(warning, `feature drift: ${JSON.stringify(fd.name)} crossed the drift threshold`);
      else this.logger?.info(warning, `feature drift: ${JSON.stringify(fd.name)} is back under the drift thresholds`);
    } catch (err) {
      this.logger?.warn({ err }, 'drift listener failed');
    }
  }

  /** The window of `model`, started afresh when the model changed; null without a usable reference. */
  private windowFor(model: ModelMetadata): ModelWindow | null {
    if (this.current && this.current.model.model_uuid === model.model_uuid) return this.current;
    if (this.noReference === model.model_uuid) return null;
    const reference = this.runtime.ready && this.runtime.metadata.model_uuid === model.model_uuid ? (this.runtime.reference ?? null) : null;
    this.current = null;
    this.head = 0;
    this.size = 0;
    if (!reference || reference.model_uuid !== model.model_uuid || reference.features.length !== this.spec.features.length) {
      this.noReference = model.model_uuid;
      this.logger?.info(
        { model: model.model_name, uuid: model.model_uuid },
        'drift monitoring is off for this model: its bundle has no reference.json (written by `npm run train` since drift monitoring came in). Fix: retrain with `npm run train`.',
      );
      return null;
    }
    this.current = { model, reference, features: reference.features.map((ref) => new FeatureWindow(ref, this.capacity)) };
    return this.current;
  }

  private dropOldest(): void {
    const slot = (this.head - this.size + this.capacity) % this.capacity;
    for (const fw of this.current!.features) fw.remove(slot);
    this.size--;
  }

  /** Drops rows older than window_seconds. */
  private expire(now: number): void {
    if (this.windowMs === null || !this.current) return;
    const cutoff = now - this.windowMs;
    while (this.size > 0 && this.times[(this.head - this.size + this.capacity) % this.capacity]! < cutoff) this.dropOldest();
  }

  private slots(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = (this.head - this.size + i + this.capacity) % this.capacity;
    return out;
  }
}
