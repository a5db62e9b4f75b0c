// GET /metrics: known requests move the values exactly as expected; the exposition passes
// `promtool check metrics` (Debian package prometheus; that one check is skipped when promtool is absent).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, exampleRow, modelSpec } from './service.js';
import { parseConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics/registry.js';
import type { ModelRuntime } from '../src/model/runtime.js';
import { exampleInferRequest } from '../src/routes/v2/schemas.js';
import { row, startApp, trainedConfig, UNKNOWN_FEATURE } from './api-helpers.js';

/** One sample of the exposition: name{labels} value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (enough of it for these tests: no escapes beyond \\ \" \n). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return samples;
}

/** The value of one sample; labels must match exactly those given (others of the sample ignored). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function findPromtool(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/promtool`)) return `${dir}/promtool`;
  return existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : null;
}

describe('GET /metrics', () => {
  let app: FastifyInstance;
  let runtime: ModelRuntime;
  let cleanup: () => void;
  let before: Sample[];
  let after: Sample[];
  let text: string;
  const predict = (body: unknown) => app.inject({ method: 'POST', url: '/predict', payload: body as object });
  const scrape = async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res;
  };

  beforeAll(async () => {
    const t = await trainedConfig();
    cleanup = t.cleanup;
    ({ app, runtime } = await startApp(t.config));
    before = parseExposition((await scrape()).body);
    // Known requests: 2 good one-row, 1 invalid (unknown feature), 1 batch of 3; one at a time,
    // so each is its own model run.
    for (const body of [row(), row(), row({ [UNKNOWN_FEATURE]: 1 }), [row(), row(), row()]]) await predict(body);
    const res = await scrape();
    text = res.body;
    after = parseExposition(text);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    cleanup?.();
  });

  const delta = (name: string, labels: Record<string, string> = {}) =>
    (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);

  it('answers the text exposition format with its content type', async () => {
    const res = await scrape();
    expect(res.headers['content-type']).toBe(app.metrics.registry.contentType);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts requests by route and status; GET /metrics itself is not counted', () => {
    const route = { method: 'POST', route: '/predict' };
    expect(delta('mlservice_http_requests_total', { ...route, status_code: '200' })).toBe(3);
    expect(delta('mlservice_http_requests_total', { ...route, status_code: '400' })).toBe(1);
    expect(value(after, 'mlservice_http_requests_total', { method: 'GET', route: '/metrics', status_code: '200' })).toBeUndefined();
    expect(delta('mlservice_http_request_duration_seconds_count', { ...route, status_code: '200' })).toBe(3);
    expect(delta('mlservice_http_request_duration_seconds_bucket', { ...route, status_code: '200', le: '+Inf' })).toBe(3);
    expect(delta('mlservice_http_request_duration_seconds_sum', { ...route, status_code: '200' })).toBeGreaterThan(0);
    expect(value(after, 'mlservice_http_requests_in_flight')).toBe(0);
  });

  it('has the configured duration buckets', () => {
    const les = after
      .filter(
        (s) =>
          s.name === 'mlservice_http_request_duration_seconds_bucket' && s.labels.status_code === '200' && s.labels.route === '/predict',
      )
      .map((s) => s.labels.le);
    expect(les).toEqual([...app.config.metrics.duration_buckets_seconds.map(String), '+Inf']);
  });

  it('counts the refused request by reason', () => {
    expect(delta('mlservice_http_requests_rejected_total', { reason: 'validation' })).toBe(1);
    for (const reason of ['size', 'media_type', 'not_ready', 'overload'])
      expect(delta('mlservice_http_requests_rejected_total', { reason })).toBe(0);
  });

  it('counts model runs, rows per run and predictions by label', async () => {
    // 3 runs (1, 1 and 3 rows); the invalid request never reaches the model.
    expect(delta('mlservice_model_inference_duration_seconds_count')).toBe(3);
    expect(delta('mlservice_model_batch_rows_count')).toBe(3);
    expect(delta('mlservice_model_batch_rows_sum')).toBe(5);
    expect(delta('mlservice_model_batch_rows_bucket', { le: '1' })).toBe(2);
    const byLabel = after.filter((s) => s.name === 'mlservice_predictions_total');
    const total =
      byLabel.reduce((n, s) => n + s.value, 0) -
      before.filter((s) => s.name === 'mlservice_predictions_total').reduce((n, s) => n + s.value, 0);
    expect(total).toBe(5);
    // The example row, 5 times: one label got all 5 (classification) or label "" (regression).
    const answer = (await predict(row())).json() as { predictions: { label: string | null }[] };
    const label = answer.predictions[0]!.label ?? '';
    expect(delta('mlservice_predictions_total', { label })).toBe(5);
    if (modelSpec.task === 'classification') {
      const classes = runtime.metadata.classes!;
      expect(byLabel.map((s) => s.labels.label).sort()).toEqual([...classes].sort());
    }
  });

  it('exports model_info = 1 labelled with the model', () => {
    const meta = runtime.metadata;
    expect(
      value(after, 'mlservice_model_info', { model_name: meta.model_name, model_uuid: meta.model_uuid, created_at: meta.created_at }),
    ).toBe(1);
  });

  it('exports Fluentd, process and event-loop metrics', () => {
    expect(value(after, 'mlservice_fluentd_records_buffered')).toBe(0);
    expect(value(after, 'mlservice_fluentd_records_dropped_total')).toBe(0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(value(after, name), name).toBeGreaterThanOrEqual(0);
  });

  it('reads the Fluentd forwarder counters at scrape time', async () => {
    let stats = { pending: 7, dropped: 2, delivered: 40, lost: 0, retried: 0 };
    app.metrics.trackForwarder(() => stats);
    let s = parseExposition((await scrape()).body);
    expect(value(s, 'mlservice_fluentd_records_buffered')).toBe(7);
    expect(value(s, 'mlservice_fluentd_records_dropped_total')).toBe(2);
    stats = { pending: 0, dropped: 5, delivered: 48, lost: 3, retried: 6 };
    s = parseExposition((await scrape()).body);
    expect(value(s, 'mlservice_fluentd_records_dropped_total')).toBe(5);
    expect(value(s, 'mlservice_fluentd_records_delivered_total')).toBe(48);
    expect(value(s, 'mlservice_fluentd_records_lost_total')).toBe(3);
    expect(value(s, 'mlservice_fluentd_records_resent_total')).toBe(6);
    app.metrics.trackForwarder(() => null);
  });

  it('counts inference requests per model name and version: success and failure (/predict and OIP infer)', async () => {
    const model = { model_name: runtime.metadata.model_name, model_version: runtime.metadata.model_uuid };
    expect(delta('mlservice_model_requests_success_total', model)).toBe(3);
    expect(delta('mlservice_model_requests_failure_total', model)).toBe(1);
    const s0 = parseExposition((await scrape()).body);
    const name = encodeURIComponent(app.config.model.name);
    const good = await app.inject({ method: 'POST', url: `/v2/models/${name}/infer`, payload: exampleInferRequest(modelSpec, exampleRow) });
    expect(good.statusCode, good.body).toBe(200);
    const bad = await app.inject({ method: 'POST', url: `/v2/models/${name}/infer`, payload: { inputs: [] } });
    expect(bad.statusCode).toBe(400);
    const s1 = parseExposition((await scrape()).body);
    expect(value(s1, 'mlservice_model_requests_success_total', model)! - value(s0, 'mlservice_model_requests_success_total', model)!).toBe(
      1,
    );
    expect(value(s1, 'mlservice_model_requests_failure_total', model)! - value(s0, 'mlservice_model_requests_failure_total', model)!).toBe(
      1,
    );
  });

  it('times the wait in the batcher apart from the model run', () => {
    // One wait per request that reached the model (3), each run timed on its own (3).
    expect(delta('mlservice_model_queue_duration_seconds_count')).toBe(3);
    expect(delta('mlservice_model_queue_duration_seconds_sum')).toBeGreaterThanOrEqual(0);
    const les = after.filter((s) => s.name === 'mlservice_model_queue_duration_seconds_bucket').map((s) => s.labels.le);
    expect(les).toEqual([...app.config.metrics.inference_buckets_seconds.map(String), '+Inf']);
  });

  it('exports build_info = 1 with the service, its version, Node.js and ONNX Runtime', () => {
    const onnxruntime = createRequire(import.meta.url)('onnxruntime-node/package.json').version as string;
    const labels = {
      service: app.config.service.name,
      version: app.config.service.version,
      nodejs_version: process.version,
      onnxruntime_version: onnxruntime,
    };
    expect(value(after, 'mlservice_build_info', labels)).toBe(1);
  });

  it('exports the model load time (NaN, printed as the format wants, until a load is timed)', async () => {
    expect(text).toMatch(/^mlservice_model_load_duration_seconds NaN$/m);
    expect(text).not.toMatch(/ Nan$/m);
    app.metrics.observeModelLoad(0.25);
    expect(value(parseExposition((await scrape()).body), 'mlservice_model_load_duration_seconds')).toBe(0.25);
  });

  it('is in the OpenAPI document, tagged operations', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, { get?: { tags?: string[] } }> };
    expect(doc.paths['/metrics']?.get?.tags).toEqual(['operations']);
  });

  it('passes promtool check metrics', async (ctx) => {
    const promtool = findPromtool();
    if (!promtool) {
      ctx.skip(
        'promtool not found (Debian package prometheus: apt-get install --no-install-recommends prometheus); exposition not checked by promtool',
      );
      return;
    }
    const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(res.stdout + res.stderr, 'promtool check metrics').toBe('');
    expect(res.status).toBe(0);
  });
});

describe('metrics config', () => {
  it('takes the duration buckets from config and MLS_METRICS_DURATION_BUCKETS_SECONDS', async () => {
    const config = parseConfig(
      { metrics: { duration_buckets_seconds: [0.1, 1] } },
      { MLS_METRICS_INFERENCE_BUCKETS_SECONDS: '0.001, 0.01' },
    );
    expect(config.metrics.inference_buckets_seconds).toEqual([0.001, 0.01]);
    const metrics = createMetrics(config);
    metrics.observeRequest('GET', '/x', 200, 0.5);
    const s = parseExposition(await metrics.registry.metrics());
    expect(
      s
        .filter((x) => x.name === 'mlservice_http_request_duration_seconds_bucket' && x.labels.route === '/x')
        .map((x) => [x.labels.le, x.value]),
    ).toEqual([
      ['0.1', 0],
      ['1', 1],
      ['+Inf', 1],
    ]);
    expect(() => parseConfig({ metrics: { duration_buckets_seconds: [1, 0.5] } })).toThrow(/strictly increasing/);
  });

  it('metrics.enabled false: no /metrics route, the registry still there for other modules', async () => {
    const config = parseConfig({ metrics: { enabled: false } });
    const runtime = { ready: false } as unknown as ModelRuntime;
    const app = buildApp({ config, runtime, logger: false, metrics: createMetrics(config) });
    await app.ready();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect(app.metrics.registry.getSingleMetric('mlservice_http_requests_total')).toBeDefined();
    await app.close();
  });
});
