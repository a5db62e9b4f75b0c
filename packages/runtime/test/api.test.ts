// POST /predict over a real model bundle, through fastify inject. Rows are derived from features.yaml.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import type { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import { UNKNOWN_FEATURE, features, firstOf, pointer, row, startApp, trainedConfig, wrongTypeValue } from './api-helpers.js';

let config: Config;
let cleanup: () => void;
let app: FastifyInstance;
let runtime: OnnxModelRuntime;

beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig());
  ({ app, runtime } = await startApp(config));
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  cleanup?.();
});

const predict = (body: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The 400 answer, checked to have the `{ error, details }` shape. */
async function refused(body: unknown) {
  const res = await predict(body);
  expect(res.statusCode, res.body).toBe(400);
  const answer = res.json() as { error: string; details: { path: string; field?: string; row?: number; message: string }[] };
  expect(typeof answer.error).toBe('string');
  return answer;
}

describe('POST /predict: answers', () => {
  it('predicts one row', async () => {
    const res = await predict(exampleRow);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.request_id).toBe(res.headers['x-request-id']);
    expect(body.model).toEqual({
      name: runtime.metadata.model_name,
      uuid: runtime.metadata.model_uuid,
      created_at: runtime.metadata.created_at,
    });
    expect(body.predictions).toHaveLength(1);
    const [p] = body.predictions;
    if (modelSpec.task === 'classification') {
      expect(runtime.metadata.classes).toContain(p.label);
      const probs = Object.entries(p.probabilities as Record<string, number>);
      expect(probs.length).toBe(Math.min(config.model.top_n, runtime.metadata.classes!.length));
      expect(probs[0]![0]).toBe(p.label);
      // highest first, as sent by the runtime (the serializer must not reorder by class)
      expect(probs.map(([, v]) => v)).toEqual([...probs.map(([, v]) => v)].sort((a, b) => b - a));
    } else {
      expect(p.label).toBeNull();
      expect(typeof p.value).toBe('number');
    }
    if (modelSpec.idField) expect(p.entity_id).toBe((exampleRow as Record<string, unknown>)[modelSpec.idField]);
  });

  it('predicts a batch, one answer per row in order, and echoes entity IDs only where sent', async () => {
    const rows = [row(), row(), row()];
    if (modelSpec.idField) {
      rows[0] = row({ [modelSpec.idField]: 'first' });
      rows[1] = row({ [modelSpec.idField]: 7 });
      rows[2] = row({}, [modelSpec.idField]);
    }
    const res = await predict(rows);
    expect(res.statusCode, res.body).toBe(200);
    const { predictions } = res.json();
    expect(predictions).toHaveLength(3);
    if (modelSpec.idField) {
      expect(predictions[0].entity_id).toBe('first');
      expect(predictions[1].entity_id).toBe(7);
      expect(predictions[2]).not.toHaveProperty('entity_id');
    }
    expect(predictions[0]).toEqual({ ...predictions[2], ...(modelSpec.idField ? { entity_id: 'first' } : {}) });
  });

  it('answers concurrent requests (coalesced into one model run) exactly as one by one', async () => {
    const f = firstOf((x) => (x.type === 'number' || x.type === 'integer') && x.min !== undefined && x.max !== undefined);
    const rows = Array.from({ length: 20 }, (_, i) =>
      f
        ? row({
            [f.name]: f.type === 'integer' ? Math.round(f.min! + ((f.max! - f.min!) * i) / 19) : f.min! + ((f.max! - f.min!) * i) / 19,
          })
        : row(),
    );
    const alone = [];
    for (const r of rows) alone.push((await predict(r)).json().predictions);
    const together = await Promise.all(rows.map((r) => predict(r)));
    expect(together.map((res) => res.json().predictions)).toEqual(alone);
  });

  it('fills in the default of an optional feature that is left out', async ({ skip }) => {
    const f = firstOf((x) => !x.required && x.default !== undefined);
    if (!f) return skip('no optional feature with a default');
    const withDefault = await predict(row({ [f.name]: f.default }));
    const without = await predict(row({}, [f.name]));
    expect(without.statusCode, without.body).toBe(200);
    expect(without.json().predictions).toEqual(withDefault.json().predictions);
  });

  it('takes the x-request-id header, echoes it, and generates one when it is missing or not printable', async () => {
    const sent = await predict(exampleRow, { 'x-request-id': 'client-42/abc' });
    expect(sent.headers['x-request-id']).toBe('client-42/abc');
    expect(sent.json().request_id).toBe('client-42/abc');
    const generated = await predict(exampleRow);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await predict(exampleRow, { 'x-request-id': 'x'.repeat(129) });
    expect(tooLong.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const errorAnswer = await predict('{', { 'x-request-id': 'bad-json-1' });
    expect(errorAnswer.headers['x-request-id']).toBe('bad-json-1');
  });
});

describe('POST /predict: refusals name the field and the value received', () => {
  it('wrong type', async () => {
    const f = features[0]!;
    const bad = wrongTypeValue(f);
    const { details, error } = await refused(row({ [f.name]: bad }));
    expect(details).toHaveLength(1);
    expect(details[0]).toEqual({
      path: `/${pointer(f.name)}`,
      field: f.name,
      message: expect.stringContaining(`got ${JSON.stringify(bad)}`),
    });
    expect(details[0]!.message).toMatch(/^(expected|must be)/);
    expect(error).toContain(`/${pointer(f.name)}`);
  });

  it('missing required feature, with what it takes', async ({ skip }) => {
    const f = firstOf((x) => x.required);
    if (!f) return skip('no required feature');
    const { details } = await refused(row({}, [f.name]));
    expect(details).toEqual([{ path: `/${pointer(f.name)}`, field: f.name, message: expect.stringMatching(/^is required \(.+\)$/) }]);
  });

  it('unknown feature, with the allowed names', async () => {
    const { details } = await refused(row({ [UNKNOWN_FEATURE]: 1 }));
    expect(details).toEqual([
      {
        path: `/${pointer(UNKNOWN_FEATURE)}`,
        field: UNKNOWN_FEATURE,
        message: expect.stringContaining(`unknown feature "${UNKNOWN_FEATURE}"; allowed: ${JSON.stringify(features[0]!.name)}`),
      },
    ]);
  });

  it('out of range', async ({ skip }) => {
    const f = firstOf((x) => x.max !== undefined);
    if (!f) return skip('no feature with a max');
    const bad = f.max! + 1;
    const { details } = await refused(row({ [f.name]: bad }));
    expect(details).toEqual([{ path: `/${pointer(f.name)}`, field: f.name, message: `must be <= ${f.max}; got ${bad}` }]);
  });

  it('category value not in the list', async ({ skip }) => {
    const f = firstOf((x) => x.type === 'category');
    if (!f) return skip('no category feature');
    const { details } = await refused(row({ [f.name]: 'no-such-value' }));
    expect(details).toEqual([
      {
        path: `/${pointer(f.name)}`,
        field: f.name,
        message: `must be one of ${f.values!.map((v) => JSON.stringify(v)).join(', ')}; got "no-such-value"`,
      },
    ]);
  });

  it('names the row of a bad row in a batch, once', async () => {
    const f = features[0]!;
    const { details } = await refused([row(), row(), row({ [f.name]: wrongTypeValue(f) })]);
    expect(details).toEqual([{ path: `/2/${pointer(f.name)}`, field: f.name, row: 2, message: expect.any(String) }]);
  });

  it('reports every problem of every row', async () => {
    const f = features[0]!;
    const { details, error } = await refused([row({ [UNKNOWN_FEATURE]: 1 }), row({ [f.name]: wrongTypeValue(f) })]);
    expect(details.map((d) => d.path)).toEqual([`/0/${pointer(UNKNOWN_FEATURE)}`, `/1/${pointer(f.name)}`]);
    expect(error).toMatch(/^invalid request body: 2 problems/);
  });

  it('a row that is not an object', async () => {
    const { details } = await refused([row(), 5]);
    expect(details).toEqual([{ path: '/1', row: 1, message: 'expected a row object; got 5' }]);
  });

  it('a body that is neither a row nor an array', async () => {
    const { error } = await refused('"hello"');
    expect(error).toBe('request body must be one row object or an array of rows; got "hello"');
  });

  it('batch over service.max_batch_size, naming the limit and the size', async () => {
    const n = config.service.max_batch_size + 1;
    const { error } = await refused(Array.from({ length: n }, () => row()));
    expect(error).toContain(`${n} rows`);
    expect(error).toContain(`limit of ${config.service.max_batch_size} rows`);
  });

  it('empty batch', async () => {
    const { error } = await refused([]);
    expect(error).toContain('empty');
  });

  it('malformed JSON, with the parser message', async () => {
    const { error } = await refused('{"a": 1,');
    expect(error).toMatch(/^request body is not valid JSON: .*(JSON|position|end)/);
  });

  it('empty body', async () => {
    const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain('empty');
    const noBody = await app.inject({ method: 'POST', url: '/predict' });
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json().error).toContain('missing');
  });

  it('body over service.body_limit_bytes -> 413 naming the limit', async () => {
    const limit = config.service.body_limit_bytes;
    const res = await predict(`[${' '.repeat(limit)}]`);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toContain(`${limit} bytes`);
  });

  it('content type other than JSON -> 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toBe('unsupported content type "text/plain"; send the body as application/json');
  });

  it('refuses a "__proto__" key unless it is a feature', async ({ skip }) => {
    if (features.some((f) => f.name === '__proto__')) return skip('__proto__ is a feature here');
    const { error } = await refused(`{"__proto__": {"x": 1}}`);
    expect(error).toContain('__proto__');
  });

  it('unknown route -> 404 in the same shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no route GET /nope; the API is described at /docs' });
  });
});
