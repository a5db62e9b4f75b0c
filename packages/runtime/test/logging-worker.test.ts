// The Fluentd forwarder's worker thread (src/logging/fluent-worker.js) dies: /predict keeps answering
// 200, the crash is logged, a new worker sends every record the old one had not seen acked (nothing
// lost, counted in `retried`); a worker that keeps dying makes the forwarder give up, with what it
// held counted in `lost` and later records in `dropped`. A real forward receiver (logging-helpers.ts); every wait bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildApp } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { FLUENTD_ENCODINGS } from '../src/config-schema.js';
import { WORKER_MAX_RESTARTS, WORKER_RESTART_DELAY_MS } from '../src/logging/fluent-forwarder.js';
import { createLogger } from '../src/logging/logger.js';
import { PredictionLog } from './service.js';
import { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import { trainAndWriteBundle } from './service.js';
import { fluentdAt, freePort, lineCollector, Receiver, sleep, waitFor, withTimeout } from './logging-helpers.js';

const base = loadConfig();
const TAG = 'worker-test.prediction';
let tmp: string;
let runtime: OnnxModelRuntime;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'logging-worker-test-'));
  const dir = (await trainAndWriteBundle({ ...base, model: { ...base.model, quality_gate: {} } }, { outDir: join(tmp, 'bundle') })).dir;
  runtime = new OnnxModelRuntime({ dir, topN: base.model.top_n });
  await runtime.load();
});
afterAll(async () => {
  await runtime?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const apps: FastifyInstance[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await withTimeout(app.close(), 15_000, 'app.close');
  for (const r of receivers.splice(0)) await r.stop();
});

async function service(port: number, fluentd: Partial<Config['logging']['fluentd']> = {}) {
  const config: Config = {
    ...base,
    logging: {
      level: 'info',
      fluentd: fluentdAt(base, port, 'worker-test', fluentd),
    },
  };
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(config, lineCollector(lines));
  const log = new PredictionLog({ config, logger, model: () => (runtime.ready ? runtime.metadata : null) });
  const app = buildApp({ config, runtime, logger, onPrediction: log.onPrediction });
  log.attach(app);
  await app.ready();
  apps.push(app);
  return { app, log, forwarder: log.forwarder!, lines };
}

async function predict(app: FastifyInstance, requestId: string, i: number): Promise<void> {
  const started = performance.now();
  const payload = modelSpec.idField ? { ...exampleRow, [modelSpec.idField]: `e-${i}` } : exampleRow;
  const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': requestId }, payload });
  expect(res.statusCode, res.body).toBe(200);
  expect(performance.now() - started).toBeLessThan(500);
}

it('the worker crashes while Fluentd is away: /predict keeps answering, a new worker delivers every record', async () => {
  const port = await freePort();
  const rcv = new Receiver(port);
  receivers.push(rcv);
  const { app, log, forwarder, lines } = await service(port);
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) await predict(app, `w-${sent.push(`w-${i}`) - 1}`, i);
  await sleep(100); // the records are in the worker, unacked
  expect(log.stats()).toMatchObject({ accepted: 20, pending: 20, delivered: 0 });
  forwarder.crashWorkerForTest();
  // Serving goes on while the worker is dead and while it is replaced.
  for (let i = 20; i < 40; i++) {
    await predict(app, `w-${sent.push(`w-${i}`) - 1}`, i);
    await sleep(10);
  }
  await waitFor(() => log.stats()!.worker_restarts === 1, 5_000, 'a new worker');
  expect(lines.find((l) => l.msg === 'fluentd forwarder worker crashed; held records will be sent again by a new worker')).toMatchObject({
    level: 'error',
  });
  await rcv.start();
  await waitFor(() => new Set(rcv.withTag(TAG).map((r) => r.request_id)).size === 40, 10_000, 'all 40 records');
  await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
  expect([...new Set(rcv.withTag(TAG).map((r) => r.request_id))].sort()).toEqual([...sent].sort());
  // Counted once each, whatever was sent twice.
  expect(log.stats()).toMatchObject({ accepted: 40, delivered: 40, dropped: 0, lost: 0, pending: 0, worker_restarts: 1 });
  expect(log.stats()!.retried).toBeGreaterThanOrEqual(20);
});

it('the worker crashes after some records were acked: only the others are sent again, counts stay exact', async () => {
  const port = await freePort();
  const rcv = new Receiver(port);
  receivers.push(rcv);
  await rcv.start();
  const { app, log, forwarder } = await service(port);
  for (let i = 0; i < 30; i++) await predict(app, `a-${i}`, i);
  await waitFor(() => log.stats()!.delivered === 30, 5_000, '30 delivered');
  forwarder.crashWorkerForTest();
  for (let i = 30; i < 60; i++) await predict(app, `a-${i}`, i);
  await waitFor(() => log.stats()!.delivered === 60, 10_000, '60 delivered');
  expect(new Set(rcv.withTag(TAG).map((r) => r.request_id)).size).toBe(60);
  expect(log.stats()).toMatchObject({ accepted: 60, delivered: 60, lost: 0, pending: 0, worker_restarts: 1 });
  await withTimeout(app.close(), 10_000, 'app.close');
  apps.length = 0;
  expect(log.stats()).toMatchObject({ lost_at_close: 0 });
});

it('a worker that keeps crashing: the forwarder gives up; held records counted lost, later ones dropped; serving goes on', async () => {
  const port = await freePort(); // no receiver: records stay held
  const { app, log, forwarder, lines } = await service(port);
  for (let i = 0; i < 5; i++) await predict(app, `c-${i}`, i);
  await sleep(100);
  for (let crash = 0; crash <= WORKER_MAX_RESTARTS; crash++) {
    await predict(app, `c-during-${crash}`, crash);
    forwarder.crashWorkerForTest();
    if (crash < WORKER_MAX_RESTARTS) await waitFor(() => log.stats()!.worker_restarts === crash + 1, 5_000, `restart ${crash + 1}`);
  }
  await waitFor(
    () => lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('fluentd forwarder worker keeps crashing')),
    5_000,
    'the give-up log line',
  );
  const accepted = log.stats()!.accepted;
  expect(log.stats()).toMatchObject({ pending: 0, lost: accepted, dropped: 0, worker_restarts: WORKER_MAX_RESTARTS });
  for (let i = 0; i < 7; i++) await predict(app, `c-after-${i}`, i);
  expect(log.stats()).toMatchObject({ accepted, lost: accepted, dropped: 7, pending: 0 });
  await withTimeout(app.close(), 5_000, 'app.close');
  apps.length = 0;
  const dropLine = lines.find((l) => l.msg === 'fluentd forwarder stopped (worker kept crashing): log records dropped');
  expect(dropLine).toMatchObject({ dropped: 7, dropped_total: 7 });
  expect(lines.find((l) => l.msg === 'fluentd forwarder closed with records not delivered')).toMatchObject({
    lost: accepted,
    lost_at_close: 0,
  });
  expect(WORKER_RESTART_DELAY_MS).toBeLessThan(1_000);
});

it.each(FLUENTD_ENCODINGS)(
  '%s: records that cannot be copied or encoded are counted lost and logged; the others still arrive',
  async (encoding) => {
    const port = await freePort();
    const rcv = new Receiver(port);
    receivers.push(rcv);
    await rcv.start();
    const { app, log, forwarder, lines } = await service(port, { encoding });
    const cyclic: Record<string, unknown> = { request_id: 'cyclic' };
    cyclic.self = cyclic;
    expect(forwarder.send('prediction', { request_id: 'fn', f: () => 1 })).toBe(true); // not structured-clonable
    expect(forwarder.send('prediction', { request_id: 'big', n: 10n })).toBe(true); // clonable, neither JSON nor msgpack
    expect(forwarder.send('prediction', cyclic)).toBe(true);
    for (let i = 0; i < 5; i++) await predict(app, `ok-${i}`, i);
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
    expect(log.stats()).toMatchObject({ accepted: 8, delivered: 5, lost: 3, pending: 0 });
    expect(
      rcv
        .withTag(TAG)
        .map((r) => r.request_id)
        .sort(),
    ).toEqual(['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4']);
    expect(lines.some((l) => l.msg === 'fluentd log record cannot be copied to the forwarder thread: lost')).toBe(true);
    expect(lines.some((l) => l.msg === `fluentd log record cannot be encoded (${encoding}): lost`)).toBe(true);
  },
);
