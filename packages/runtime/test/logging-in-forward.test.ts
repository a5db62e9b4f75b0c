// The JSON encoding against Fluentd's own parser: a Ruby stand-in for in_forward (fixtures/in-forward/
// json-receiver.rb: Yajl, as in the efk image's Fluentd 1.17, Forward and Message modes, acks as JSON)
// receives what the forwarder writes. Every prediction record arrives as its stdout line without level
// and msg, an error record as an object, and every chunk is acked (delivered = accepted).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, exampleRow, modelSpec, OnnxModelRuntime, PredictionLog, trainAndWriteBundle } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logging/logger.js';
import { fluentdAt, lineCollector, waitFor, withTimeout } from './logging-helpers.js';

const RECEIVER = fileURLToPath(new URL('./fixtures/in-forward/json-receiver.rb', import.meta.url));
const base = loadConfig();
const PREFIX = 'yajl-svc';

interface Received {
  tag: string;
  time: unknown;
  record: Record<string, unknown>;
}

let tmp: string;
let runtime: OnnxModelRuntime;
let ruby: ChildProcess;
let port: number;
const received: Received[] = [];
let rubyErr = '';

beforeAll(async () => {
  const probe = spawnSync('ruby', ['-ryajl', '-e', 'Yajl::Parser.new'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(`ruby with yajl is needed (run scripts/install-tools.sh): ${probe.error?.message ?? probe.stderr}`);
  tmp = mkdtempSync(join(tmpdir(), 'in-forward-test-'));
  const dir = (await trainAndWriteBundle({ ...base, model: { ...base.model, quality_gate: {} } }, { outDir: join(tmp, 'bundle') })).dir;
  runtime = new OnnxModelRuntime({ dir, topN: base.model.top_n });
  await runtime.load();
  ruby = spawn('ruby', [RECEIVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  ruby.stderr!.on('data', (d: Buffer) => (rubyErr += d.toString()));
  const lines = createInterface({ input: ruby.stdout! });
  port = await withTimeout(
    new Promise<number>((resolve) => {
      lines.on('line', (line) => {
        if (line.startsWith('port ')) resolve(Number(line.slice(5)));
        else received.push(JSON.parse(line) as Received);
      });
    }),
    10_000,
    'the Ruby receiver to listen',
  );
});
afterAll(async () => {
  ruby?.kill();
  await runtime?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const row = (i: number): Record<string, unknown> =>
  modelSpec.idField ? { ...exampleRow, [modelSpec.idField]: `entité-${i} "quoted" \\ 🙂` } : { ...exampleRow };

it('json: in_forward (Yajl) reads every record as the stdout line has it, and acks every chunk', async () => {
  const config: Config = { ...base, logging: { level: 'info', fluentd: fluentdAt(base, port, PREFIX, { encoding: 'json' }) } };
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(config, lineCollector(lines));
  const log = new PredictionLog({ config, logger, model: () => runtime.metadata });
  const app: FastifyInstance = buildApp({ config, runtime, logger, onPrediction: log.onPrediction });
  log.attach(app);
  await app.ready();
  try {
    const one = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'yajl-1' }, payload: row(1) });
    expect(one.statusCode, one.body).toBe(200);
    const many = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': 'yajl-64' },
      payload: Array.from({ length: 64 }, (_, i) => row(i)),
    });
    expect(many.statusCode, many.body).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'yajl-bad' }, payload: { nope: 1 } });
    expect(bad.statusCode).toBe(400);
    await waitFor(() => received.length >= 66, 10_000, '66 records at the Ruby receiver').catch((err: Error) => {
      throw new Error(`${err.message}; its stderr: ${rubyErr}`);
    });
    await waitFor(() => log.stats()!.pending === 0, 5_000, 'every record acked');
    expect(log.stats()).toMatchObject({ accepted: 66, delivered: 66, dropped: 0, lost: 0, pending: 0 });

    const predictions = received.filter((r) => r.tag === `${PREFIX}.prediction`);
    const stdout = lines.filter((l) => l.log_type === 'prediction');
    expect(predictions).toHaveLength(65);
    expect(stdout).toHaveLength(65);
    for (const { level: _level, msg: _msg, ...fields } of stdout) {
      const got = predictions.find((r) => r.record.event_id === fields.event_id);
      expect(got?.record).toEqual(fields);
      expect(got?.time).toBe(Math.floor(Date.parse(fields.time as string) / 1000));
    }
    const errors = received.filter((r) => r.tag === `${PREFIX}.error`);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.record).toMatchObject({ log_type: 'error', request_id: 'yajl-bad', status_code: 400 });
  } finally {
    await withTimeout(app.close(), 15_000, 'app.close');
  }
  expect(rubyErr).toBe('');
});
