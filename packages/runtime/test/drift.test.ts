// Drift monitoring (docs/DRIFT.md): PSI and KS against hand-computed values; the reference statistics
// of a hand-made spec; the sliding window (size, seconds, model change) with hostile feature names;
// then, for THIS service's features, a real trained model: rows drawn from the training split keep
// every feature under the thresholds; rows in which one numeric feature is shifted make that feature,
// and only it, cross them (GET /monitoring/drift, the gauges, and one record at a real Fluentd receiver).
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, features } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { createCsvDataLoader } from '../src/examples/data-loader.js';
import { createLogger } from '../src/logging/logger.js';
import { PredictionLog } from './service.js';
import { REFERENCE_FILE } from '../src/model/bundle.js';
import { readBundle } from './service.js';
import { OnnxModelRuntime } from './service.js';
import type { ModelMetadata } from '../src/model/runtime.js';
import { DriftMonitor, ksStatistic, psi, type DriftConfig, type DriftReport, type DriftWarning } from '../src/monitoring/drift.js';
import {
  binIndex,
  computeReference,
  quantileEdges,
  sortedSample,
  type DriftReference,
  type NumericReference,
} from '../src/monitoring/drift-reference.js';
import { modelSpec } from './service.js';
import type { ModelSpec } from '../src/schemas/model-spec.js';
import { seededRandom as rng } from '../src/random.js';
import { split } from '../src/training.js';
import { trainedConfig } from './api-helpers.js';
import { fluentdAt, freePort, Receiver, sleep, waitFor, withTimeout } from './logging-helpers.js';

/** An object with these own properties (a name such as `__proto__` stays data). */
function own(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

describe('PSI and KS against hand-computed values', () => {
  it('psi: identical distributions 0; a known shift; empty bins floored at 1e-4', () => {
    expect(psi([0.25, 0.25, 0.5], [0.25, 0.25, 0.5])).toBe(0);
    // (0.9-0.5) ln(0.9/0.5) + (0.1-0.5) ln(0.1/0.5) = 0.4 ln 1.8 + 0.4 ln 5 = 0.878890...
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), 12);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.87889, 5);
    // Symmetric in its arguments.
    expect(psi([0.9, 0.1], [0.5, 0.5])).toBeCloseTo(psi([0.5, 0.5], [0.9, 0.1]), 12);
    // An empty actual bin counts as 1e-4: (1e-4-0.2) ln(1e-4/0.2) + (1-0.8) ln(1/0.8).
    expect(psi([0.2, 0.8], [0, 1])).toBeCloseTo((1e-4 - 0.2) * Math.log(1e-4 / 0.2) + 0.2 * Math.log(1 / 0.8), 12);
    expect(() => psi([0.5, 0.5], [1])).toThrow(/2 expected fractions, 1 actual/);
  });

  it('ks: largest distance of the empirical CDFs, ties stepped together', () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    // CDFs at 2: 0.5 vs 0; at 3: 0.75 vs 0.25; at 4: 1 vs 0.5; at 5: 1 vs 0.75.
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    expect(ksStatistic([1, 2], [3, 4])).toBe(1);
    // Ties: at 1 the CDFs are 3/4 and 1/3 -> 5/12; at 2: 1 vs 2/3.
    expect(ksStatistic([1, 1, 1, 2], [1, 2, 3])).toBeCloseTo(5 / 12, 12);
    expect(ksStatistic([], [1])).toBeNull();
  });

  it('quantile edges, bins and the bounded sample', () => {
    const xs = Array.from({ length: 11 }, (_, i) => i); // 0..10
    expect(quantileEdges(xs, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(quantileEdges(xs, 4)).toEqual([2, 5, 8]);
    // Ties collapse; an edge at the maximum is dropped (its bin would be empty).
    expect(quantileEdges([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], 10)).toEqual([0]);
    expect(quantileEdges([5, 5, 5], 10)).toEqual([]);
    expect(binIndex([1, 2, 3], 0)).toBe(0);
    expect(binIndex([1, 2, 3], 1)).toBe(0);
    expect(binIndex([1, 2, 3], 1.5)).toBe(1);
    expect(binIndex([1, 2, 3], 3)).toBe(2);
    expect(binIndex([1, 2, 3], 99)).toBe(3);
    expect(binIndex([], 99)).toBe(0);
    expect(sortedSample([1, 2, 3], 10)).toEqual([1, 2, 3]);
    expect(
      sortedSample(
        Array.from({ length: 100 }, (_, i) => i),
        4,
      ),
    ).toEqual([12, 37, 62, 87]);
  });
});

// A hand-made spec with the names that must stay data.
const handSpec: ModelSpec = {
  task: 'classification',
  target: 'y',
  classes: ['a', 'b'],
  idField: null,
  featureHash: 'hand',
  features: [
    { name: '__proto__', type: 'number', required: true, example: 1, redact: false },
    { name: 'constructor', type: 'category', values: ['red', 'green', 'toString'], required: false, example: 'red', redact: false },
    { name: 'hasOwnProperty', type: 'boolean', required: false, example: true, redact: false },
    { name: 'a"b', type: 'string', required: false, example: 'x', redact: true },
    { name: 'n', type: 'integer', required: true, example: 1, redact: false },
  ],
};

function handRows(n: number, shift = 0, seed = 1): Record<string, unknown>[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) =>
    own([
      ['__proto__', r() * 10 + shift],
      ['constructor', ['red', 'green', 'toString'][i % 3]],
      ...(i % 4 === 0 ? [] : ([['hasOwnProperty', i % 2 === 0]] as [string, unknown][])),
      ['a"b', i % 5 === 0 ? '' : 'text'],
      ['n', i % 7],
    ]),
  );
}

describe('reference statistics', () => {
  it('per feature: quantile bins and a sorted sample; value fractions; missing rate; names stay data', () => {
    const rows = handRows(200);
    const ref = computeReference(rows, handSpec, 'uuid-1', { sampleSize: 50 });
    expect(ref.rows).toBe(200);
    expect(ref.features.map((f) => [f.name, f.type])).toEqual(handSpec.features.map((f) => [f.name, f.type]));
    const proto = ref.features[0] as NumericReference;
    expect(proto.edges).toHaveLength(9);
    expect(proto.fractions).toHaveLength(10);
    for (const f of proto.fractions) expect(f).toBeCloseTo(0.1, 1);
    expect(proto.sample).toHaveLength(50);
    expect([...proto.sample].sort((a, b) => a - b)).toEqual(proto.sample);
    expect(proto.missing_rate).toBe(0);
    const colour = ref.features[1]!;
    expect(colour).toMatchObject({ type: 'category', values: ['red', 'green', 'toString'], other_fraction: 0 });
    expect((colour as { fractions: number[] }).fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(ref.features[2]).toMatchObject({ type: 'boolean', values: ['false', 'true'], missing_rate: 0.25 });
    expect(ref.features[3]).toEqual({ name: 'a"b', type: 'string', rows: 200, missing_rate: 0.2 });
    const n = ref.features[4] as NumericReference;
    expect(n.edges.every((e, i) => i === 0 || e > n.edges[i - 1]!)).toBe(true);
    expect(n.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Nothing landed on Object.prototype.
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });
});

const driftConfig = (c: Partial<DriftConfig> = {}): DriftConfig => ({
  enabled: true,
  window_size: 500,
  min_rows: 100,
  psi_threshold: 0.2,
  ks_threshold: 0.2,
  check_every_rows: 1_000_000,
  ...c,
});
const handModel = (uuid: string): ModelMetadata => ({
  model_uuid: uuid,
  model_name: 'm',
  created_at: '2026-01-01T00:00:00.000Z',
  task: 'classification',
  classes: ['a', 'b'],
  features: handSpec.features.map((f) => f.name),
  feature_hash: 'hand',
  onnx: { input: 'x', outputs: { probabilities: 'p' } },
  metrics: {},
  training: { rows: 0, test_rows: 0, data: '' },
});

function fakeRuntime(uuid: string, reference: DriftReference | null) {
  return { ready: true, metadata: handModel(uuid), reference };
}

describe('DriftMonitor (hand-made spec)', () => {
  const reference = computeReference(handRows(2000, 0, 7), handSpec, 'uuid-1');

  it('warming up below min_rows; in-distribution rows stay under; a shifted feature alone crosses, once', () => {
    const warnings: DriftWarning[] = [];
    const runtime = fakeRuntime('uuid-1', reference);
    const monitor = new DriftMonitor({ config: driftConfig(), spec: handSpec, runtime, onDrift: (w) => warnings.push(w) });
    monitor.observe(handRows(50, 0, 2), runtime.metadata);
    expect(monitor.check()).toMatchObject({ status: 'warming_up', window: { rows: 50, size: 500, min_rows: 100 }, drifted: [] });
    monitor.observe(handRows(450, 0, 3), runtime.metadata);
    const calm = monitor.check();
    expect(calm.status).toBe('ok');
    for (const f of calm.features) {
      expect(f.psi!, f.name).toBeLessThan(0.1);
      if (f.ks !== null) expect(f.ks, f.name).toBeLessThan(0.1);
      expect(f.drifted).toBe(false);
    }
    expect(calm.features.map((f) => f.ks === null)).toEqual([false, true, true, true, false]);
    expect(warnings).toEqual([]);

    // The window holds 500 rows: 500 shifted rows replace all the calm ones.
    monitor.observe(handRows(500, 5, 4), runtime.metadata);
    const shifted = monitor.check();
    expect(shifted.window.rows).toBe(500);
    expect(shifted.drifted).toEqual(['__proto__']);
    const proto = shifted.features[0]!;
    expect(proto.psi!).toBeGreaterThan(1);
    expect(proto.ks!).toBeGreaterThan(0.4); // uniform [0, 10) against [5, 15): 0.5
    expect(proto.ks!).toBeLessThan(0.6);
    expect(proto.window.counts.reduce((a, b) => a + b, 0)).toBe(500);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      status: 'drifted',
      feature: '__proto__',
      feature_type: 'number',
      over: ['psi', 'ks'],
      window_rows: 500,
      model: { uuid: 'uuid-1' },
    });
    // Still drifted: no second record.
    monitor.observe(handRows(100, 5, 5), runtime.metadata);
    monitor.check();
    expect(warnings).toHaveLength(1);
    // Back to the training distribution: one "recovered" record.
    monitor.observe(handRows(500, 0, 6), runtime.metadata);
    expect(monitor.check().drifted).toEqual([]);
    expect(warnings.map((w) => [w.status, w.feature])).toEqual([
      ['drifted', '__proto__'],
      ['recovered', '__proto__'],
    ]);
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });

  it('category, boolean and missing-rate shifts count; unknown values go to "other"', () => {
    const runtime = fakeRuntime('uuid-1', reference);
    const monitor = new DriftMonitor({ config: driftConfig(), spec: handSpec, runtime });
    const rows = handRows(500, 0, 8).map((r, i) =>
      own([...Object.entries(r).filter(([k]) => k !== 'constructor' && k !== 'a"b'), ['constructor', i % 2 ? 'green' : 'purple']]),
    );
    monitor.observe(rows, runtime.metadata);
    const report = monitor.check();
    expect(report.drifted).toEqual(['constructor', 'a"b']);
    const colour = report.features[1]!;
    expect(colour.window).toEqual({ rows: 500, missing: 0, counts: [0, 250, 0], other: 250 });
    expect(report.features[3]!.window).toEqual({ rows: 500, missing: 500, counts: [0] });
  });

  it('window_seconds drops old rows; a new model starts a new window; no reference: off, with one note', () => {
    let now = 1_000_000;
    const notes: string[] = [];
    const logger = { info: (_o: unknown, msg?: string) => void notes.push(String(msg)), warn: () => undefined };
    const runtime = { ready: true, metadata: handModel('uuid-1'), reference: reference as DriftReference | null };
    const monitor = new DriftMonitor({ config: driftConfig({ window_seconds: 60 }), spec: handSpec, runtime, logger, now: () => now });
    monitor.observe(handRows(300), runtime.metadata);
    now += 30_000;
    monitor.observe(handRows(100), runtime.metadata);
    expect(monitor.check().window.rows).toBe(400);
    now += 31_000; // the first 300 are 61 s old
    expect(monitor.check().window.rows).toBe(100);
    now += 30_000;
    expect(monitor.check()).toMatchObject({ status: 'warming_up', window: { rows: 0 } });

    runtime.metadata = handModel('uuid-2');
    runtime.reference = { ...reference, model_uuid: 'uuid-2' };
    monitor.observe(handRows(150), handModel('uuid-2'));
    expect(monitor.check()).toMatchObject({ status: 'ok', model: { uuid: 'uuid-2' }, window: { rows: 150 } });

    runtime.metadata = handModel('uuid-3');
    runtime.reference = null;
    monitor.observe(handRows(10), handModel('uuid-3'));
    monitor.observe(handRows(10), handModel('uuid-3'));
    expect(monitor.check()).toMatchObject({ status: 'no_reference', features: [], model: { uuid: 'uuid-3' } });
    expect(notes.filter((n) => n.includes('no reference.json'))).toHaveLength(1);
  });

  it('disabled: no window at all', () => {
    const runtime = fakeRuntime('uuid-1', reference);
    const monitor = new DriftMonitor({ config: driftConfig({ enabled: false }), spec: handSpec, runtime });
    monitor.observe(handRows(200), runtime.metadata);
    expect(monitor.check()).toMatchObject({ enabled: false, status: 'disabled', features: [] });
  });
});

// ---- This service's features, a real trained model --------------------------------------------
// The reference statistics come from training data: a brought model (model.onnx_path) without
// data/ has none, and its drift is off (covered by the no-reference test above).
const hasData = existsSync(resolve(loadConfig().training.data));

const WINDOW = 1_000;
const PREFIX = 'drift-test';
let config: Config;
let cleanup: () => void;
let trainRows: Record<string, unknown>[];
let reference: DriftReference;
/** The numeric feature the shifted rows move, or undefined when the spec has none with spread. */
let target: NumericReference | undefined;

beforeAll(async () => {
  if (!hasData) return;
  ({ config, cleanup } = await trainedConfig((c) => {
    c.monitoring.drift = {
      ...c.monitoring.drift,
      enabled: true,
      window_size: WINDOW,
      min_rows: 100,
      psi_threshold: 0.2,
      ks_threshold: 0.2,
      check_every_rows: 1_000_000,
    };
  }));
  const bundle = readBundle(config.model.dir);
  expect(bundle.reference, 'npm run train writes reference.json').toBeTruthy();
  reference = bundle.reference!;
  // The reference is computed on the training split: the same rows are drawn here.
  const data = await createCsvDataLoader(resolve(config.training.data), features).load();
  const { trainIdx } = split(data.rows.length, config.training.test_fraction, config.training.seed);
  trainRows = trainIdx.map((i) => data.rows[i] as unknown as Record<string, unknown>);
  target = reference.features.find((f): f is NumericReference => (f.type === 'number' || f.type === 'integer') && f.edges.length >= 3);
}, 120_000);
afterAll(() => cleanup?.());

/** A request row: the features a training row has (absent ones stay absent). */
function requestRow(source: Record<string, unknown>, override?: [string, unknown]): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const f of modelSpec.features) {
    if (override && f.name === override[0]) entries.push(override);
    else if (Object.hasOwn(source, f.name) && source[f.name] !== undefined && source[f.name] !== null)
      entries.push([f.name, source[f.name]]);
  }
  return own(entries);
}

/** n rows drawn (with replacement) from the training split; with `shift`, that feature takes values from the top 30 % of its training values. */
function drawRows(n: number, seed: number, shift?: NumericReference): Record<string, unknown>[] {
  const r = rng(seed);
  let high: number[] = [];
  if (shift) {
    const values = trainRows
      .map((row) => (Object.hasOwn(row, shift.name) ? row[shift.name] : undefined))
      .filter((v): v is number => typeof v === 'number')
      .sort((a, b) => a - b);
    high = values.slice(Math.floor(values.length * 0.7));
  }
  return Array.from({ length: n }, () => {
    const source = trainRows[Math.floor(r() * trainRows.length)]!;
    return requestRow(source, shift ? [shift.name, high[Math.floor(r() * high.length)]] : undefined);
  });
}

async function feed(app: FastifyInstance, rows: Record<string, unknown>[]): Promise<void> {
  const batch = Math.min(100, config.service.max_batch_size);
  for (let i = 0; i < rows.length; i += batch) {
    const res = await app.inject({ method: 'POST', url: '/predict', payload: rows.slice(i, i + batch) });
    expect(res.statusCode, res.body).toBe(200);
  }
}

async function driftReport(app: FastifyInstance): Promise<DriftReport> {
  const res = await app.inject({ method: 'GET', url: '/monitoring/drift' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as DriftReport;
}

/** The drift gauges' values by feature, read from the app's Prometheus registry. */
async function gauge(app: FastifyInstance, name: string): Promise<Map<string, number>> {
  const metric = app.metrics.registry.getSingleMetric(`mlservice_${name}`);
  expect(metric, `metric mlservice_${name}`).toBeTruthy();
  const { values } = await metric!.get();
  return new Map(values.map((v) => [String(v.labels.feature), v.value]));
}

interface Service {
  app: FastifyInstance;
  runtime: OnnxModelRuntime;
  receiver: Receiver | null;
}
const open: Service[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    await withTimeout(s.app.close(), 15_000, 'app.close');
    await s.runtime.close();
    await s.receiver?.stop();
  }
});

/** The service as server.ts wires it: the prediction log (Fluentd to a real receiver) gets the drift records. */
async function service(dir = config.model.dir): Promise<Service> {
  const port = await freePort();
  const receiver = new Receiver(port);
  await receiver.start();
  const c: Config = {
    ...config,
    model: { ...config.model, dir },
    logging: {
      level: 'silent',
      fluentd: fluentdAt(config, port, PREFIX),
    },
  };
  const runtime = new OnnxModelRuntime({ dir, topN: c.model.top_n });
  const logger = createLogger(c, { write: () => undefined });
  const log = new PredictionLog({ config: c, logger, model: () => (runtime.ready ? runtime.metadata : null) });
  const app = buildApp({ config: c, runtime, logger, onPrediction: log.onPrediction, onDrift: log.logDrift });
  log.attach(app);
  await app.ready();
  await runtime.load();
  const s = { app, runtime, receiver };
  open.push(s);
  return s;
}

describe.runIf(hasData)(`drift of this service's features (${modelSpec.features.length})`, () => {
  it('the bundle reference covers every feature in features.yaml order', () => {
    expect(reference.features.map((f) => f.name)).toEqual(modelSpec.features.map((f) => f.name));
    expect(reference.rows).toBe(trainRows.length);
  });

  it('rows from the training split: every feature stays under both thresholds; gauges agree', async () => {
    const { app, receiver } = await service();
    expect(await driftReport(app)).toMatchObject({ status: 'warming_up', window: { rows: 0, size: WINDOW } });
    await feed(app, drawRows(WINDOW, 11));
    const report = await driftReport(app);
    expect(report).toMatchObject({
      enabled: true,
      status: 'ok',
      window: { rows: WINDOW, size: WINDOW, min_rows: 100 },
      thresholds: { psi: 0.2, ks: 0.2 },
      drifted: [],
    });
    expect(report.model?.uuid).toBe(app.runtime.metadata.model_uuid);
    expect(report.features.map((f) => f.name)).toEqual(modelSpec.features.map((f) => f.name));
    for (const f of report.features) {
      expect(f.psi, f.name).not.toBeNull();
      expect(f.psi!, `PSI of ${f.name}`).toBeLessThan(0.2);
      if (f.type === 'number' || f.type === 'integer') expect(f.ks!, `KS of ${f.name}`).toBeLessThan(0.2);
      else expect(f.ks).toBeNull();
      expect(f.drifted).toBe(false);
      expect(f.window.rows).toBe(WINDOW);
      expect(f.window.missing + f.window.counts.reduce((a, b) => a + b, 0) + (f.window.other ?? 0)).toBe(WINDOW);
      expect(f.reference).not.toHaveProperty('sample');
    }
    const psiGauge = await gauge(app, 'feature_drift_psi');
    expect([...psiGauge.keys()].sort()).toEqual(modelSpec.features.map((f) => f.name).sort());
    for (const f of report.features) expect(psiGauge.get(f.name)).toBeCloseTo(f.psi!, 6);
    expect([...(await gauge(app, 'feature_drifted')).values()].every((v) => v === 0)).toBe(true);
    await sleep(200);
    expect(receiver!.withTag(`${PREFIX}.drift`)).toEqual([]);
  }, 60_000);

  it('one numeric feature shifted: it, and only it, crosses; one drift record reaches Fluentd', async (ctx) => {
    if (!target) ctx.skip(); // no number/integer feature with spread in this service's training data
    const shifted = target!;
    const { app, receiver } = await service();
    await feed(app, drawRows(WINDOW, 12));
    expect((await driftReport(app)).drifted).toEqual([]);
    await feed(app, drawRows(WINDOW, 13, shifted));
    const report = await driftReport(app);
    expect(report.drifted).toEqual([shifted.name]);
    const f = report.features.find((x) => x.name === shifted.name)!;
    expect(f.psi!).toBeGreaterThanOrEqual(0.2);
    expect(f.ks!).toBeGreaterThanOrEqual(0.2);
    for (const other of report.features.filter((x) => x.name !== shifted.name)) expect(other.drifted, other.name).toBe(false);

    const drifted = await gauge(app, 'feature_drifted');
    expect(drifted.get(shifted.name)).toBe(1);
    expect([...drifted].filter(([, v]) => v === 1).map(([k]) => k)).toEqual([shifted.name]);
    expect((await gauge(app, 'feature_drift_ks')).get(shifted.name)).toBeGreaterThanOrEqual(0.2);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^mlservice_feature_drift_psi\{feature=/m);
    expect(text).toMatch(new RegExp(`^mlservice_drift_window_rows ${WINDOW}$`, 'm'));

    const tag = `${PREFIX}.drift`;
    await waitFor(() => receiver!.withTag(tag).length >= 1, 5_000, 'the drift record');
    // Once per crossing: more shifted rows and more checks add no record.
    await feed(app, drawRows(200, 14, shifted));
    await driftReport(app);
    await sleep(300);
    const records = receiver!.withTag(tag);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      log_type: 'drift',
      status: 'drifted',
      feature: shifted.name,
      feature_type: shifted.type,
      psi_threshold: 0.2,
      ks_threshold: 0.2,
      window_rows: WINDOW,
      window_size: WINDOW,
      model: { uuid: app.runtime.metadata.model_uuid },
    });
    expect(records[0]!.psi as number).toBeGreaterThanOrEqual(0.2);
  }, 60_000);

  it('a bundle without reference.json (trained before drift monitoring): drift off, predictions unaffected', async () => {
    const { config: old, cleanup: done } = await trainedConfig();
    try {
      rmSync(join(old.model.dir, REFERENCE_FILE));
      expect(readBundle(old.model.dir).reference).toBeNull();
      const { app } = await service(old.model.dir);
      await feed(app, drawRows(150, 15));
      expect(await driftReport(app)).toMatchObject({ status: 'no_reference', features: [], drifted: [] });
      expect((await gauge(app, 'feature_drift_psi')).size).toBe(0);
    } finally {
      done();
    }
  }, 60_000);

  it('GET /monitoring/drift is in the OpenAPI document under the monitoring tag', async () => {
    const { app } = await service();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, { get?: { tags?: string[] } }> };
    expect(doc.paths['/monitoring/drift']?.get?.tags).toEqual(['monitoring']);
  });
});
