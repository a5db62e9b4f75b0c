// The prediction log against a REAL Fluentd forward-protocol receiver (logging-helpers.ts: JSON as in_forward reads it, msgpack through FluentServer): record fields,
// redaction, error records, and the faults: receiver absent at start, stopped and restarted mid-run,
// buffer overflow, flush on close. /predict must answer 200 throughout. Every wait is bounded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventTime } from '@fluent-org/logger';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { FLUENTD_ENCODINGS } from '../src/config-schema.js';
import { createLogger } from '../src/logging/logger.js';
import { PredictionLog } from './service.js';
import { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import type { ModelSpec } from '../src/schemas/model-spec.js';
import { trainAndWriteBundle } from './service.js';
import { BlackHole, fluentdAt, freePort, lineCollector, Receiver, sleep, waitFor, withTimeout } from './logging-helpers.js';

const base = loadConfig();
const PREFIX = 'test-svc';
const PRED_TAG = `${PREFIX}.prediction`;
const ERR_TAG = `${PREFIX}.error`;

// Redaction is checked with a spec in which one more feature is marked `redact: true` (the first
// feature that is not already redacted), on top of whatever features.yaml redacts.
const extraRedacted = modelSpec.features.find((f) => !f.redact);
const spec: ModelSpec = { ...modelSpec, features: modelSpec.features.map((f) => (f === extraRedacted ? { ...f, redact: true } : f)) };
const redactedNames = spec.features.filter((f) => f.redact).map((f) => f.name);

let tmp: string;
let bundleDir: string;
let runtime: OnnxModelRuntime;
let bundleMeta: { model_uuid: string; model_name: string; created_at: string };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'logging-test-'));
  const noGate = { ...base, model: { ...base.model, quality_gate: {} } };
  bundleDir = (await trainAndWriteBundle(noGate, { outDir: join(tmp, 'bundle') })).dir;
  bundleMeta = JSON.parse(readFileSync(join(bundleDir, 'metadata.json'), 'utf8'));
  runtime = new OnnxModelRuntime({ dir: bundleDir, topN: base.model.top_n });
  await runtime.load();
});
afterAll(async () => {
  await runtime?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Service {
  app: FastifyInstance;
  log: PredictionLog;
  /** Every stdout line, parsed. */
  lines: Record<string, unknown>[];
}
const open: Service[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await withTimeout(s.app.close(), 15_000, 'app.close');
  for (const r of receivers.splice(0)) await r.stop();
});

function serviceConfig(port: number, fluentd: Partial<Config['logging']['fluentd']> = {}): Config {
  return {
    ...base,
    service: { ...base.service, name: 'test-svc', version: '9.8.7' },
    logging: {
      level: 'info',
      fluentd: fluentdAt(base, port, PREFIX, fluentd),
    },
  };
}

async function service(config: Config, rt: OnnxModelRuntime = runtime): Promise<Service> {
  const lines: Record<string, unknown>[] = [];
  // One `service` key per line: the logger's base carries it, the records leave theirs out.
  const logger = createLogger(
    config,
    lineCollector(lines, (s) => expect(s.split('"service":').length - 1, s).toBe(1)),
  );
  const log = new PredictionLog({ config, logger, model: () => (rt.ready ? rt.metadata : null), spec });
  const app = buildApp({ config, runtime: rt, logger, onPrediction: log.onPrediction });
  log.attach(app);
  await app.ready();
  const s = { app, log, lines };
  open.push(s);
  return s;
}

async function receiver(port: number, start = true): Promise<Receiver> {
  const r = new Receiver(port);
  receivers.push(r);
  if (start) await r.start();
  return r;
}

const row = (i: number): Record<string, unknown> =>
  modelSpec.idField ? { ...exampleRow, [modelSpec.idField]: `entity-${i}` } : { ...exampleRow };

/** POSTs rows and checks the answer is 200 within `maxMs` (logging must not hold /predict up). */
async function predict(app: FastifyInstance, requestId: string, rows: unknown, maxMs = 1_000) {
  const started = performance.now();
  const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': requestId }, payload: rows as object });
  const ms = performance.now() - started;
  expect(res.statusCode, res.body).toBe(200);
  expect(ms).toBeLessThan(maxMs);
  return res.json() as {
    request_id: string;
    model: { uuid: string };
    predictions: { label: string | null; probabilities?: Record<string, number>; value?: number; entity_id?: unknown }[];
  };
}

const uniqueBy = (records: Record<string, unknown>[], key: string) => new Set(records.map((r) => r[key]));

describe('prediction records at a real Fluentd receiver', () => {
  it.each(FLUENTD_ENCODINGS)(
    '%s: one record per row with request ID, entity ID, model UUID, label, top-N; redacted features absent',
    async (encoding) => {
      const port = await freePort();
      const rcv = await receiver(port);
      const { app, lines } = await service(serviceConfig(port, { encoding }));

      const one = await predict(app, 'req-single', row(1));
      const batch = await predict(app, 'req-batch', [row(2), row(3), row(4)]);
      await waitFor(() => rcv.withTag(PRED_TAG).length >= 4, 5_000, '4 prediction records');
      await sleep(100);
      const records = rcv.withTag(PRED_TAG);
      expect(records).toHaveLength(4);
      expect(rcv.withTag(ERR_TAG)).toHaveLength(0);

      const expected = [
        { request_id: 'req-single', row_index: 0, batch_size: 1, entity: 1, answer: one.predictions[0]! },
        ...[0, 1, 2].map((i) => ({ request_id: 'req-batch', row_index: i, batch_size: 3, entity: i + 2, answer: batch.predictions[i]! })),
      ];
      for (const want of expected) {
        const r = records.find((x) => x.request_id === want.request_id && x.row_index === want.row_index)!;
        expect(r, `${want.request_id}/${want.row_index}`).toBeDefined();
        expect(r.log_type).toBe('prediction');
        expect(r.batch_size).toBe(want.batch_size);
        expect(r.entity_id).toBe(modelSpec.idField ? `entity-${want.entity}` : null);
        expect(r.model).toEqual({ name: bundleMeta.model_name, uuid: bundleMeta.model_uuid, created_at: bundleMeta.created_at });
        expect((r.model as { uuid: string }).uuid).toBe(one.model.uuid);
        expect(r.service).toEqual({ name: 'test-svc', version: '9.8.7' });
        expect(new Date(r.time as string).toISOString()).toBe(r.time);
        expect(typeof r.latency_ms).toBe('number');
        expect(r.latency_ms as number).toBeGreaterThanOrEqual(0);
        expect(r.label).toBe(want.answer.label);
        // Redaction: the value never leaves the process; the name is listed.
        const features = r.features as Record<string, unknown>;
        for (const name of redactedNames) expect(features).not.toHaveProperty(name);
        expect(r.redacted).toEqual(redactedNames);
        for (const f of spec.features.filter((x) => !x.redact))
          expect(features[f.name]).toEqual(exampleRow[f.name as keyof typeof exampleRow]);
        if (modelSpec.idField) expect(features).not.toHaveProperty(modelSpec.idField);
        if (modelSpec.task === 'classification') {
          const top = r.top_n as { label: string; probability: number }[];
          expect(top).toEqual(Object.entries(want.answer.probabilities!).map(([label, probability]) => ({ label, probability })));
          expect(top.length).toBe(Math.min(base.model.top_n, runtime.metadata.classes!.length));
          expect(top[0]!.label).toBe(r.label);
          expect(r.probability).toBe(top[0]!.probability);
          for (let i = 1; i < top.length; i++) expect(top[i]!.probability).toBeLessThanOrEqual(top[i - 1]!.probability);
        } else {
          expect(r.value).toBe(want.answer.value);
        }
      }
      expect(uniqueBy(records, 'event_id').size).toBe(4);
      // The same records on stdout (for node-level collectors), also without the redacted values.
      const stdout = lines.filter((l) => l.log_type === 'prediction');
      expect(stdout).toHaveLength(4);
      for (const l of stdout) {
        expect(new Date(l.time as string).toISOString()).toBe(l.time);
        expect(l.service).toEqual({ name: 'test-svc', version: '9.8.7' });
        for (const name of redactedNames) expect(l.features).not.toHaveProperty(name);
      }
      expect(stdout.map((l) => l.event_id).sort()).toEqual(records.map((r) => r.event_id).sort());
      // The record a user finds in Fluentd is the stdout line's, without the logger's level and msg.
      for (const { level, msg, ...fields } of stdout) {
        expect([level, msg]).toEqual(['info', 'prediction']);
        expect(records.find((r) => r.event_id === fields.event_id)).toEqual(fields);
      }
      // JSON's event time is whole seconds (the record's time has the milliseconds); msgpack's an EventTime.
      for (const e of rcv.entries.filter((x) => x.tag === PRED_TAG)) {
        if (encoding === 'json') expect(e.time).toBe(Math.floor(Date.parse(e.record.time as string) / 1000));
        else expect(e.time).toBeInstanceOf(EventTime);
      }
    },
  );

  it('a failed request is an error record (status, error, details), not a prediction; redacted values are not quoted', async () => {
    const port = await freePort();
    const rcv = await receiver(port);
    const { app, lines } = await service(serviceConfig(port));
    const bad = extraRedacted!;
    const badValue = bad.type === 'number' || bad.type === 'integer' ? (bad.max ?? 1e9) + 12345 : 12345;
    const res = await app.inject({
      method: 'POST',
      url: '/predict?x=1',
      headers: { 'x-request-id': 'req-bad' },
      payload: { ...exampleRow, [bad.name]: badValue },
    });
    expect(res.statusCode).toBe(400);
    const notFound = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'req-404' } });
    expect(notFound.statusCode).toBe(404);
    await waitFor(() => rcv.withTag(ERR_TAG).length >= 2, 5_000, '2 error records');
    await sleep(100);
    expect(rcv.withTag(PRED_TAG)).toHaveLength(0);
    const errors = rcv.withTag(ERR_TAG);
    expect(errors).toHaveLength(2);
    const e400 = errors.find((e) => e.request_id === 'req-bad')!;
    expect(e400).toMatchObject({
      log_type: 'error',
      status_code: 400,
      method: 'POST',
      path: '/predict',
      service: { name: 'test-svc', version: '9.8.7' },
    });
    expect(e400.model).toMatchObject({ uuid: bundleMeta.model_uuid });
    expect(typeof e400.error).toBe('string');
    expect((e400.details as { field?: string; message?: string }[]).some((d) => d.field === bad.name && d.message === '[redacted]')).toBe(
      true,
    );
    expect(JSON.stringify(e400)).not.toContain(String(badValue));
    const stdoutError = lines.find((l) => l.log_type === 'error' && l.request_id === 'req-bad');
    expect(stdoutError).toMatchObject({ level: 'warn', status_code: 400 });
    expect(JSON.stringify(stdoutError)).not.toContain(String(badValue));
    expect(errors.find((e) => e.request_id === 'req-404')).toMatchObject({ status_code: 404, method: 'GET', path: '/nope' });
  });
});

describe('readiness probes', () => {
  const probes = [
    '/health/ready',
    '/v2/health/ready',
    `/v2/models/${base.model.name}/ready`,
    `/v2/models/${base.model.name}/versions/1/ready`,
  ];
  const warnOrWorse = (lines: Record<string, unknown>[]) => lines.filter((l) => l.level === 'warn' || l.level === 'error');

  it('a probe answered 503 while the model loads is no error record; a /predict refused meanwhile is one, without a stack trace', async () => {
    const port = await freePort();
    const rcv = await receiver(port);
    const loading = new OnnxModelRuntime({ dir: bundleDir, topN: base.model.top_n }); // never loaded
    const { app, lines } = await service(serviceConfig(port), loading);
    for (const [i, url] of probes.entries())
      expect((await app.inject({ url, headers: { 'x-request-id': `probe-${i}` } })).statusCode, url).toBe(503);
    // The model ready routes answer what the spec's model-ready response is, with or without a version.
    for (const url of probes.slice(2)) expect((await app.inject({ url })).json(), url).toEqual({ name: base.model.name, ready: false });
    const refused = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'req-503' }, payload: exampleRow });
    expect(refused.statusCode).toBe(503);
    // ...and only the refused /predict counts as a rejected request.
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^mlservice_http_requests_rejected_total\{reason="not_ready"\} 1$/m);
    await waitFor(() => rcv.withTag(ERR_TAG).length >= 1, 5_000, 'the error record of the refused /predict');
    await sleep(200);
    expect(rcv.withTag(ERR_TAG).map((e) => [e.request_id, e.status_code])).toEqual([['req-503', 503]]);
    expect(warnOrWorse(lines).map((l) => [l.msg, l.request_id])).toEqual([['request error', 'req-503']]);
  });

  it('a probe answered 503 while draining is no error record either', async () => {
    const port = await freePort();
    const rcv = await receiver(port);
    const { app, lines } = await service(serviceConfig(port));
    app.lifecycle.draining = true;
    for (const url of probes.slice(0, 2)) expect((await app.inject({ url })).statusCode, url).toBe(503);
    expect((await app.inject({ url: '/nope', headers: { 'x-request-id': 'req-404' } })).statusCode).toBe(404);
    await waitFor(() => rcv.withTag(ERR_TAG).length >= 1, 5_000, 'the error record of the 404');
    await sleep(200);
    expect(rcv.withTag(ERR_TAG).map((e) => e.request_id)).toEqual(['req-404']);
    expect(warnOrWorse(lines).map((l) => l.request_id)).toEqual(['req-404']);
  });
});

describe('faults: /predict keeps answering 200 and no record is lost', () => {
  it('receiver absent at start, then started: every buffered record is delivered', async () => {
    const port = await freePort();
    const rcv = await receiver(port, false);
    const { app, log } = await service(serviceConfig(port));
    for (let i = 0; i < 20; i++) await predict(app, `absent-${i}`, row(i), 500);
    await sleep(300); // reconnect attempts fail meanwhile
    expect(rcv.entries).toHaveLength(0);
    expect(log.stats()).toMatchObject({ pending: 20, dropped: 0, connected: false });
    await rcv.start();
    await waitFor(() => uniqueBy(rcv.withTag(PRED_TAG), 'request_id').size === 20, 10_000, 'the 20 buffered records');
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
    expect(log.stats()).toMatchObject({ accepted: 20, delivered: 20, dropped: 0, pending: 0 });
  });

  it('receiver killed mid-run and restarted within the buffer bound: every record arrives (duplicates only with the same event_id)', async () => {
    const port = await freePort();
    const rcv = await receiver(port);
    const { app, log } = await service(serviceConfig(port, { buffer_max_records: 1_000 }));
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) await predict(app, `run-${sent.push(`run-${i}`) - 1}`, row(i), 500);
    await waitFor(() => rcv.withTag(PRED_TAG).length >= 40, 5_000, 'the first 40 records');
    // Fluentd crashes while records are on the way: those written into the dying socket are re-sent
    // after the ack timeout; those sent while it is away are queued.
    const batch = Array.from({ length: 30 }, (_, k) => predict(app, `run-${sent.push(`run-${40 + k}`) - 1}`, row(40 + k), 1_000));
    await rcv.kill();
    await Promise.all(batch);
    for (let i = 70; i < 100; i++) await predict(app, `run-${sent.push(`run-${i}`) - 1}`, row(i), 500);
    await sleep(400);
    await rcv.start();
    for (let i = 100; i < 120; i++) await predict(app, `run-${sent.push(`run-${i}`) - 1}`, row(i), 500);
    await waitFor(() => uniqueBy(rcv.withTag(PRED_TAG), 'request_id').size === 120, 15_000, 'all 120 records after the restart');
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
    const records = rcv.withTag(PRED_TAG);
    expect([...uniqueBy(records, 'request_id')].sort()).toEqual([...sent].sort());
    // At-least-once: a record may arrive twice only as the very same record (same event_id), which
    // Elasticsearch stores once (efk/fluentd.conf uses event_id as the document _id).
    const byEvent = new Map<unknown, Record<string, unknown>>();
    for (const r of records) {
      const seen = byEvent.get(r.event_id);
      if (seen) expect(r).toEqual(seen);
      byEvent.set(r.event_id, r);
    }
    expect(byEvent.size).toBe(120);
    expect(log.stats()).toMatchObject({ accepted: 120, delivered: 120, dropped: 0 });
    console.log(
      `[logging test] restart mid-run: ${records.length} records received for 120 predictions (${records.length - 120} duplicates), ${log.stats()!.retried} re-sends`,
    );
  });

  it('Fluentd reads slowly (2 s behind): records waiting in the socket buffer are not sent again and again', async () => {
    const rcv = await receiver(await freePort());
    // A proxy that holds the service's bytes back for 2 s, then passes everything on; acks come straight back.
    const sockets: import('node:net').Socket[] = [];
    const proxy = createServer((client) => {
      client.pause();
      sockets.push(client);
      const upstream = connect(rcv.port, '127.0.0.1');
      sockets.push(upstream);
      upstream.pipe(client);
      setTimeout(() => client.pipe(upstream), 2_000);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as { port: number }).port;
      const { app, log } = await service(serviceConfig(port, { ack_timeout_ms: 300, buffer_max_records: 100_000 }));
      // ~30 MB of records: more than the kernel's socket buffers hold, so most wait in the forwarder's.
      const rows = Array.from({ length: 64 }, (_, i) => row(i));
      for (let i = 0; i < 700; i++) await predict(app, `slow-${i}`, rows);
      const sent = 700 * 64;
      await waitFor(() => log.stats()!.pending === 0, 30_000, 'every record acked');
      const records = rcv.withTag(PRED_TAG);
      const unique = uniqueBy(records, 'event_id').size;
      expect(unique).toBe(sent);
      // Re-sent: what had reached the kernel's buffers when the ack timeout struck (0.13x here). With the ack timer
      // started when a chunk was queued, every record waiting behind them was queued again at each timeout
      // (1,474,320 received for 44,800: 33x).
      expect(records.length - unique, `${records.length} received for ${unique} records`).toBeLessThan(sent / 2);
      expect(log.stats()).toMatchObject({ accepted: sent, delivered: sent, dropped: 0, lost: 0 });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('Fluentd hangs (takes the records, never acks), dies, comes back: the unacked records are sent again', async () => {
    const port = await freePort();
    const hole = new BlackHole(port);
    await hole.start();
    const { app, log } = await service(serviceConfig(port, { ack_timeout_ms: 300 }));
    for (let i = 0; i < 20; i++) await predict(app, `hung-${i}`, row(i), 500);
    await waitFor(() => hole.bytes > 0, 5_000, 'bytes written to the hung Fluentd');
    expect(log.stats()).toMatchObject({ delivered: 0, pending: 20 });
    await hole.kill();
    const rcv = await receiver(port);
    await waitFor(() => uniqueBy(rcv.withTag(PRED_TAG), 'request_id').size === 20, 10_000, 'the 20 re-sent records');
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'pending 0');
    expect(log.stats()!.retried).toBeGreaterThan(0);
    expect(log.stats()).toMatchObject({ accepted: 20, delivered: 20, dropped: 0 });
  });

  it('buffer overflow: records beyond buffer_max_records are dropped, counted exactly, and the count is logged', async () => {
    const port = await freePort();
    const rcv = await receiver(port, false);
    const { app, log, lines } = await service(serviceConfig(port, { buffer_max_records: 10 }));
    for (let i = 0; i < 25; i++) await predict(app, `over-${i}`, row(i), 500);
    expect(log.stats()).toMatchObject({ accepted: 10, dropped: 15, pending: 10 });
    await rcv.start();
    await waitFor(() => log.stats()!.delivered === 10, 10_000, 'the 10 buffered records');
    await sleep(100);
    // The first 10 records are the ones kept (drops refuse new records; nothing already taken is lost).
    expect([...uniqueBy(rcv.withTag(PRED_TAG), 'request_id')].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `over-${i}`).sort());
    // New records flow again.
    await predict(app, 'over-after', row(99));
    await waitFor(() => rcv.withTag(PRED_TAG).some((r) => r.request_id === 'over-after'), 5_000, 'a record after the overflow');
    await withTimeout(app.close(), 10_000, 'app.close');
    open.length = 0;
    const dropLines = lines.filter((l) => l.msg === 'fluentd buffer full: log records dropped');
    expect(dropLines.length).toBeGreaterThan(0);
    expect(dropLines.at(-1)).toMatchObject({ dropped_total: 15 });
    expect(dropLines.reduce((n, l) => n + (l.dropped as number), 0)).toBe(15);
    expect(log.stats()).toMatchObject({ accepted: 11, delivered: 11, dropped: 15, pending: 0, lost_at_close: 0 });
  });

  it('close() flushes: records buffered while Fluentd was away are delivered before close resolves', async () => {
    const port = await freePort();
    const rcv = await receiver(port, false);
    const { app, log } = await service(serviceConfig(port));
    for (let i = 0; i < 30; i++) await predict(app, `flush-${i}`, row(i), 500);
    expect(rcv.entries).toHaveLength(0);
    await rcv.start();
    await withTimeout(app.close(), 10_000, 'app.close');
    open.length = 0;
    // No waiting after close: everything is already there.
    expect(uniqueBy(rcv.withTag(PRED_TAG), 'request_id').size).toBe(30);
    expect(log.stats()).toMatchObject({ delivered: 30, pending: 0, lost_at_close: 0 });
  });

  it('close() with Fluentd gone for good gives up after flush_timeout_ms and logs what was not delivered', async () => {
    const port = await freePort();
    const { app, log, lines } = await service(serviceConfig(port, { flush_timeout_ms: 500 }));
    for (let i = 0; i < 5; i++) await predict(app, `gone-${i}`, row(i), 500);
    const started = Date.now();
    await withTimeout(app.close(), 5_000, 'app.close');
    open.length = 0;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(log.stats()).toMatchObject({ lost_at_close: 5, delivered: 0 });
    expect(lines.find((l) => l.msg === 'fluentd forwarder closed with records not delivered')).toMatchObject({ lost_at_close: 5 });
  });
});

// logging.fluentd.transport: pino-fluentd (that pino transport; no acks). The same receiver, the same tags.
const pinoConfig = (port: number, fluentd: Partial<Config['logging']['fluentd']> = {}) =>
  serviceConfig(port, { transport: 'pino-fluentd', ...fluentd });

describe('transport pino-fluentd at a real Fluentd receiver', () => {
  it('prediction and error records arrive with the same tags and fields as with forward; time is the record’s own', async () => {
    const port = await freePort();
    const rcv = await receiver(port);
    const { app, log, lines } = await service(pinoConfig(port));
    expect(log.forwarder).toBeNull();
    expect(log.stats()).toBeNull(); // no acks: no delivery counters to report
    const one = await predict(app, 'pf-single', row(1), 5_000);
    await predict(app, 'pf-batch', [row(2), row(3)], 5_000);
    const bad = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'pf-bad' }, payload: { nope: 1 } });
    expect(bad.statusCode).toBe(400);
    await waitFor(
      () => rcv.withTag(PRED_TAG).length >= 3 && rcv.withTag(ERR_TAG).length >= 1,
      10_000,
      '3 prediction records and 1 error record',
    );
    await sleep(100);
    expect(new Set(rcv.entries.map((e) => e.tag))).toEqual(new Set([PRED_TAG, ERR_TAG]));
    const records = rcv.withTag(PRED_TAG);
    expect(records).toHaveLength(3);
    const stdout = lines.filter((l) => l.log_type === 'prediction');
    for (const [requestId, rowIndex, entity] of [
      ['pf-single', 0, 1],
      ['pf-batch', 0, 2],
      ['pf-batch', 1, 3],
    ] as const) {
      const r = records.find((x) => x.request_id === requestId && x.row_index === rowIndex)!;
      expect(r, `${requestId}/${rowIndex}`).toBeDefined();
      expect(r).toMatchObject({
        log_type: 'prediction',
        batch_size: requestId === 'pf-batch' ? 2 : 1,
        service: { name: 'test-svc', version: '9.8.7' },
      });
      expect(r.entity_id).toBe(modelSpec.idField ? `entity-${entity}` : null);
      expect(r.model).toEqual({ name: bundleMeta.model_name, uuid: bundleMeta.model_uuid, created_at: bundleMeta.created_at });
      for (const name of redactedNames) expect(r.features as object).not.toHaveProperty(name);
      expect(r.redacted).toEqual(redactedNames);
      // The stdout line of the same row: same event_id and the same `time` (pino-fluentd keeps an ISO time).
      const line = stdout.find((l) => l.event_id === r.event_id)!;
      expect(line, 'stdout line with the same event_id').toBeDefined();
      expect(r.time).toBe(line.time);
      expect(r.label).toBe(line.label);
    }
    expect(records.find((r) => r.request_id === 'pf-single')!.label).toBe(one.predictions[0]!.label);
    const [err] = rcv.withTag(ERR_TAG);
    expect(err).toMatchObject({
      log_type: 'error',
      request_id: 'pf-bad',
      status_code: 400,
      method: 'POST',
      path: '/predict',
      model: { uuid: bundleMeta.model_uuid },
    });
  });

  it('Fluentd absent at start-up: the service does not crash, /predict keeps answering, and records flow once Fluentd is up', async () => {
    const port = await freePort();
    const rcv = await receiver(port, false);
    const { app, lines } = await service(pinoConfig(port));
    for (let i = 0; i < 20; i++) await predict(app, `pf-absent-${i}`, row(i), 5_000);
    await sleep(500); // the transport fails on ECONNREFUSED meanwhile (and would crash the process if not handled)
    for (let i = 20; i < 30; i++) await predict(app, `pf-absent-${i}`, row(i), 5_000);
    expect(lines.some((l) => l.msg === 'pino-fluentd transport failed; records of this tag are lost until a new one is started')).toBe(
      true,
    );
    await rcv.start();
    // A new transport starts at the first record after reconnect_interval_ms (200 here): send until one arrives.
    let n = 0;
    await waitFor(
      () => {
        if (rcv.withTag(PRED_TAG).length > 0) return true;
        void predict(app, `pf-after-${n}`, row(n++), 5_000);
        return false;
      },
      15_000,
      'a record after Fluentd came up',
    );
    const got = uniqueBy(rcv.withTag(PRED_TAG), 'request_id');
    console.log(
      `[logging test] pino-fluentd, Fluentd absent at start: ${[...got].filter((id) => String(id).startsWith('pf-absent-')).length} of 30 records sent before it came up delivered`,
    );
    const health = await app.inject({ method: 'GET', url: '/health/live' });
    expect(health.statusCode).toBe(200);
  });
});

describe('loss on a Fluentd restart (down ~300 ms mid-stream), both transports', () => {
  const N = 1_000;
  async function restartRun(transport: 'forward' | 'pino-fluentd'): Promise<{ received: number; unique: number }> {
    const port = await freePort();
    const rcv = await receiver(port);
    const { app } = await service(serviceConfig(port, { transport, buffer_max_records: 10_000 }));
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    for (const i of ids(0, 400)) await predict(app, `restart-${i}`, row(i), 5_000);
    await rcv.stop();
    const downSince = Date.now();
    // Records keep coming while Fluentd is down (at least 300 ms, up to 200 records)...
    let i = 400;
    while (Date.now() - downSince < 300) {
      if (i < 600) for (const k of ids(i, (i += 20))) await predict(app, `restart-${k}`, row(k), 5_000);
      await sleep(15);
    }
    const whileDown = i - 400;
    await rcv.start();
    const downMs = Date.now() - downSince;
    // ...and after it is back.
    for (; i < N; i++) await predict(app, `restart-${i}`, row(i), 5_000);
    const received = () => uniqueBy(rcv.withTag(PRED_TAG), 'request_id').size;
    if (transport === 'forward') await waitFor(() => received() === N, 20_000, `all ${N} records after the restart`);
    else {
      // No acks to wait for: wait until nothing more arrives for 2 s (at most 20 s).
      let last = -1;
      const deadline = Date.now() + 20_000;
      while (received() !== last && Date.now() < deadline) {
        last = received();
        await sleep(2_000);
      }
    }
    const unique = received();
    console.log(
      `[logging test] Fluentd restart (down ${downMs} ms, ${whileDown} records sent meanwhile), transport ${transport}: ${unique} of ${N} records delivered (${N - unique} lost), ${rcv.withTag(PRED_TAG).length} received in all`,
    );
    return { received: rcv.withTag(PRED_TAG).length, unique };
  }

  it('forward: nothing is lost', async () => {
    const { unique } = await restartRun('forward');
    expect(unique).toBe(N);
  });

  it('pino-fluentd: the loss is measured and printed (no acks, no retry: records are lost)', async () => {
    const { unique } = await restartRun('pino-fluentd');
    expect(unique).toBeLessThanOrEqual(N);
  });
});
