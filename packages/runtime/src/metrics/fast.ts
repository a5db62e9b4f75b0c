// Counters and histograms for the request path. prom-client's own Counter/Histogram hash the label
// values and allocate on every call (about 0.5-1 µs each, several per request); these keep each
// series as plain numbers, so an increment or observation is a few arithmetic operations. The
// registry reads them at scrape time through get(), the interface prom-client's own metrics have,
// so they print (and pass promtool) exactly like prom-client's.
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** What Registry.metrics() reads from a metric (prom-client's MetricObjectWithValues). */
interface Collected {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

const labelsOf = (names: readonly string[], values: readonly string[]): Labels => {
  if (values.length !== names.length) throw new Error(`expected ${names.length} label values (${names.join(', ')}), got ${values.length}`);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
};

abstract class FastMetric<S extends { labels: Labels }> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registers: Registry[],
  ) {
    for (const r of registers) r.registerMetric(this as never);
  }

  protected abstract create(labels: Labels): S;

  /** The series of these label values (created at zero on first use); keep it for the hot path. */
  labels(...values: string[]): S {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = this.create(labelsOf(this.labelNames, values));
      this.series.set(key, s);
    }
    return s;
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter whose series are plain numbers (see the top of this file). */
export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = 'counter' as const;
  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }
  async get(): Promise<Collected> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.series.values()].map((s) => ({ value: s.value, labels: { ...s.labels } })),
    };
  }
  reset(): void {
    for (const s of this.series.values()) s.value = 0;
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above the highest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram whose series are plain numbers (see the top of this file). */
export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registers: Registry[]) {
    super(name, help, labelNames, registers);
    this.buckets = [...buckets];
    if (!this.buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > this.buckets[i - 1]!)))
      throw new Error(`${name}: buckets must be finite and strictly increasing`);
  }
  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }
  async get(): Promise<Collected> {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: String(bound) }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
