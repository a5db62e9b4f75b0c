// The Fluentd forwarder's chunks (src/logging/fluent-chunk.ts) as a real forward receiver reads them
// (logging-helpers.ts), in both encodings: records beyond a chunk's size and of several tags at once
// arrive whole, under their own tag, in order; a record that cannot be encoded is counted lost and
// logged, and the others still arrive. Every wait bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildApp } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { FLUENTD_ENCODINGS } from '../src/config-schema.js';
import { CHUNK_MAX_RECORDS } from '../src/logging/fluent-forwarder.js';
import { createLogger } from '../src/logging/logger.js';
import { PredictionLog } from './service.js';
import { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import { trainAndWriteBundle } from './service.js';
import { fluentdAt, freePort, lineCollector, Receiver, waitFor, withTimeout } from './logging-helpers.js';

const base = loadConfig();
const TAG = 'chunks-test.prediction';
let tmp: string;
let runtime: OnnxModelRuntime;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'logging-chunks-test-'));
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
      fluentd: fluentdAt(base, port, 'chunks-test', fluentd),
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

it.each(FLUENTD_ENCODINGS)('%s: records of two tags, several chunks of each, arrive whole, under their tag, in order', async (encoding) => {
  const port = await freePort();
  const rcv = new Receiver(port);
  receivers.push(rcv);
  await rcv.start();
  const { log, forwarder } = await service(port, { encoding });
  const n = CHUNK_MAX_RECORDS * 4 + 7;
  const t0 = Date.parse('2026-01-02T03:04:05.678Z');
  // In waves, each acked before the next: later chunks are built in the buffers of acked ones.
  for (let i = 0; i < n; i++) {
    expect(forwarder.send('prediction', { seq: i, text: `é ${'x'.repeat(i % 50)} "\\` })).toBe(true);
    if (i % 3 === 0) expect(forwarder.send('error', { seq: i, nested: { list: [i, null, true] } }, t0 + i)).toBe(true);
    if (i % 1_500 === 1_499) await waitFor(() => log.stats()!.pending === 0, 10_000, `wave ${i}`);
  }
  const errors = Math.ceil(n / 3);
  await waitFor(() => log.stats()!.pending === 0, 10_000, 'every record acked');
  expect(log.stats()).toMatchObject({ accepted: n + errors, delivered: n + errors, dropped: 0, lost: 0, retried: 0 });
  const predictions = rcv.withTag(TAG);
  expect(predictions.map((r) => r.seq)).toEqual([...Array(n).keys()]);
  expect(predictions[49]).toEqual({ seq: 49, text: `é ${'x'.repeat(49)} "\\` });
  const errorEntries = rcv.entries.filter((e) => e.tag === 'chunks-test.error');
  expect(errorEntries.map((e) => e.record.seq)).toEqual([...Array(errors).keys()].map((k) => k * 3));
  expect(errorEntries[1]!.record).toEqual({ seq: 3, nested: { list: [3, null, true] } });
  // The event time: whole seconds in JSON, EventTime (seconds and nanoseconds) in msgpack.
  const time = errorEntries[1]!.time;
  if (encoding === 'json') expect(time).toBe(Math.floor((t0 + 3) / 1000));
  else expect(time).toMatchObject({ epoch: Math.floor((t0 + 3) / 1000), nano: ((t0 + 3) % 1000) * 1_000_000 });
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
    // A function: JSON.stringify leaves the member out (as on stdout); msgpack has no such value.
    expect(forwarder.send('prediction', { request_id: 'fn', f: () => 1 })).toBe(true);
    expect(forwarder.send('prediction', { request_id: 'big', n: 10n })).toBe(true); // neither JSON nor msgpack
    expect(forwarder.send('prediction', cyclic)).toBe(true);
    for (let i = 0; i < 5; i++) await predict(app, `ok-${i}`, i);
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
    const ok = ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4'];
    const arrived = encoding === 'json' ? ['fn', ...ok] : ok;
    expect(log.stats()).toMatchObject({ accepted: 8, delivered: arrived.length, lost: 8 - arrived.length, pending: 0 });
    expect(
      rcv
        .withTag(TAG)
        .map((r) => r.request_id)
        .sort(),
    ).toEqual(arrived);
    expect(lines.some((l) => l.msg === `fluentd log record cannot be encoded (${encoding}): lost`)).toBe(true);
  },
);
