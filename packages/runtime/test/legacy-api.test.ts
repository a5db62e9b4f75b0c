// The Python template's API (config service.legacy_api) over a real server and model: the template's
// own tests (tests/api/test_api_predictions.py, test_api_ping.py) with the same requests and
// assertions, then what this service adds (rows checked as on /predict, calls logged, OpenAPI).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './service.js';
import type { Config } from '../src/config.js';
import { OnnxModelRuntime } from './service.js';
import type { PredictionEvent } from '../src/prediction-event.js';
import { modelSpec } from './service.js';
import { features, firstOf, row, startApp, trainedConfig, wrongTypeValue } from './api-helpers.js';

/** The template's tests/prediction/example_classification1.json row, when the features are its iris example. */
const TEMPLATE_ROW = { sepal_length: 0.1, sepal_width: 0.2, petal_length: 0.5, petal_width: 0.3 };
const isTemplateExample = features.map((f) => f.name).join() === Object.keys(TEMPLATE_ROW).join();
const templateRow = () => (isTemplateExample ? { ...TEMPLATE_ROW } : row({}, modelSpec.idField ? [modelSpec.idField] : []));
/** tests/prediction/example_classification1.json and batch_request.json of the template. */
const singleRequest = () => [templateRow()];
const batchRequest = () => [templateRow(), templateRow()];

let config: Config;
let cleanup: () => void;
let app: FastifyInstance;
let runtime: OnnxModelRuntime;
let base: string;
const logged: PredictionEvent[] = [];

beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig((c) => (c.service.legacy_api = true)));
  runtime = new OnnxModelRuntime({ dir: config.model.dir, topN: config.model.top_n });
  app = buildApp({ config, runtime, logger: false, onPrediction: (e) => logged.push(e) });
  await runtime.load();
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  cleanup?.();
});

const post = (path: string, body: unknown) =>
  fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe("the template's tests/api/test_api_ping.py", () => {
  it('test_ping', async () => {
    const response = await fetch(`${base}/ping`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ping: 'pong' });
  });
});

describe("the template's tests/api/test_api_predictions.py", () => {
  it('test_predict_single_request', async () => {
    const response = await post('api/predictions', singleRequest());
    expect(response.status).toBe(200);
    expect((await response.json())[0]).toHaveProperty('class_name');
  });

  it('test_predict_batch_request', async () => {
    const response = await post('api/predictions', batchRequest());
    expect(response.status).toBe(200);
    for (const r of await response.json()) expect(r).toHaveProperty('class_name');
  });

  it.runIf(modelSpec.task === 'classification')('test_predict_proba_single_request', async () => {
    const response = await post('api/proba_predictions', singleRequest());
    expect(response.status).toBe(200);
    expect((await response.json())[0]).toHaveProperty('class_names');
  });

  it.runIf(modelSpec.task === 'classification')('test_predict_proba_batch_request', async () => {
    const response = await post('api/proba_predictions', batchRequest());
    expect(response.status).toBe(200);
    for (const r of await response.json()) expect(r).toHaveProperty('class_names');
  });
});

describe('the legacy API answers as the template did, from the same model as /predict', () => {
  it('POST /api/predictions: one class_name per row, the label /predict gives', async () => {
    const rows = batchRequest();
    const legacy = await (await post('api/predictions', rows)).json();
    const current = await (await post('predict', rows)).json();
    expect(legacy).toEqual(
      current.predictions.map((p: { label: string | null; value?: number }) => ({ class_name: p.label ?? String(p.value) })),
    );
  });

  it.runIf(modelSpec.task === 'classification')(
    "POST /api/proba_predictions: every class in the model's order, probabilities summing to 1",
    async () => {
      const [answer] = await (await post('api/proba_predictions', singleRequest())).json();
      expect(answer.class_names).toEqual(runtime.metadata.classes);
      expect(answer.probabilities).toHaveLength(runtime.metadata.classes!.length);
      expect(answer.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
      const [current] = (await (await post('predict', singleRequest())).json()).predictions;
      const best = answer.class_names[answer.probabilities.indexOf(Math.max(...answer.probabilities))];
      expect(best).toBe(current.label);
    },
  );

  it.runIf(modelSpec.idField !== null)('the entity ID field stays optional, and is logged when sent', async () => {
    const id = modelSpec.idField!;
    const withId = { ...templateRow(), [id]: 'entity-7' };
    logged.length = 0;
    const res = await post('api/predictions', [templateRow(), withId]);
    expect(res.status).toBe(200);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.predictions[0]!.entity_id).toBeUndefined();
    expect(logged[0]!.predictions[1]!.entity_id).toBe('entity-7');
  });

  it('every call is handed to the prediction log like a /predict call (top_n classes)', async () => {
    logged.length = 0;
    const rows = batchRequest();
    await post('api/predictions', rows);
    if (modelSpec.task === 'classification') await post('api/proba_predictions', rows);
    expect(logged).toHaveLength(modelSpec.task === 'classification' ? 2 : 1);
    for (const event of logged) {
      expect(event.rows).toHaveLength(rows.length);
      expect(event.model.model_uuid).toBe(runtime.metadata.model_uuid);
      for (const p of event.predictions)
        if (p.probabilities)
          expect(Object.keys(p.probabilities).length).toBe(Math.min(config.model.top_n, runtime.metadata.classes!.length));
    }
  });
});

describe('the legacy API checks rows as /predict does', () => {
  const numeric = firstOf((f) => f.type === 'number' || f.type === 'integer' || f.type === 'boolean');

  it.runIf(numeric !== undefined)('a value of the wrong type: 400 naming the row and field (the template answered 500)', async () => {
    const f = numeric!;
    const bad = [templateRow(), { ...templateRow(), [f.name]: wrongTypeValue(f) }];
    const legacy = await post('api/predictions', bad);
    expect(legacy.status).toBe(400);
    const answer = await legacy.json();
    expect(answer.details[0]).toMatchObject({ row: 1, field: f.name, path: `/1/${f.name}` });
    expect(await (await post('predict', bad)).json()).toMatchObject({ error: answer.error, details: answer.details });
  });

  it("a single object instead of the template's array: 400 saying so", async () => {
    const res = await post('api/predictions', templateRow());
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/JSON array of rows; got object/);
  });

  it('an empty array: 400', async () => {
    const res = await post('api/predictions', []);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/batch is empty/);
  });
});

describe('OpenAPI and the switch', () => {
  it('lists the three routes as deprecated, naming their replacement', async () => {
    const doc = await (await fetch(`${base}/docs/json`)).json();
    const ops = [
      doc.paths['/api/predictions'].post,
      doc.paths['/ping'].get,
      ...(modelSpec.task === 'classification' ? [doc.paths['/api/proba_predictions'].post] : []),
    ];
    for (const op of ops) {
      expect(op.deprecated).toBe(true);
      expect(op.summary).toMatch(/use (POST \/predict|GET \/health\/live)/);
    }
  });

  it('service.legacy_api false (the native default): the routes are not there', async () => {
    const off = await startApp({ ...config, service: { ...config.service, legacy_api: false } });
    try {
      for (const [method, url] of [
        ['GET', '/ping'],
        ['POST', '/api/predictions'],
        ['POST', '/api/proba_predictions'],
      ] as const)
        expect((await off.app.inject({ method, url, payload: singleRequest() })).statusCode).toBe(404);
    } finally {
      await off.app.close();
      await off.runtime.close();
    }
  });
});
