// Health probes, the OpenAPI document, and a real HTTP server on a free port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './service.js';
import type { Config } from '../src/config.js';
import { OnnxModelRuntime } from './service.js';
import type { PredictionEvent, RequestErrorEvent } from '../src/prediction-event.js';
import { exampleRow, modelSpec } from './service.js';
import { startApp, trainedConfig } from './api-helpers.js';

let config: Config;
let cleanup: () => void;
beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig());
});
afterAll(() => cleanup?.());

describe('health probes', () => {
  it('live at once; ready (and /predict) only after the model is loaded', async () => {
    const { app, runtime } = await startApp(config, { load: false });
    try {
      expect((await app.inject('/health/live')).json()).toEqual({ status: 'live' });
      const notReady = await app.inject('/health/ready');
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json()).toEqual({ status: 'loading' });
      const early = await app.inject({ method: 'POST', url: '/predict', payload: exampleRow });
      expect(early.statusCode).toBe(503);
      expect(early.headers['retry-after']).toBeDefined();
      expect(early.json().error).toContain('/health/ready');

      await runtime.load();
      const ready = await app.inject('/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: 'ready',
        model: { name: runtime.metadata.model_name, uuid: runtime.metadata.model_uuid, created_at: runtime.metadata.created_at },
      });
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});

describe('GET /docs/json', () => {
  it('documents /predict with the real row schema and examples', async () => {
    const { app, runtime } = await startApp(config, { load: false });
    try {
      const doc = (await app.inject('/docs/json')).json();
      expect(doc.openapi).toBe('3.0.3');
      expect(doc.info).toMatchObject({ title: config.service.name, version: config.service.version });
      expect(doc.servers).toEqual([{ url: '/' }]);
      const post = doc.paths['/predict'].post;
      expect(post.tags).toEqual(['predict']);
      const media = post.requestBody.content['application/json'];
      const schemaOf = (r: { $ref: string }) => doc.components.schemas[r.$ref.replace('#/components/schemas/', '')];
      const [rowSchema, batch] = schemaOf(media.schema).anyOf.map(schemaOf);
      const names = [...modelSpec.features.map((f) => f.name), ...(modelSpec.idField ? [modelSpec.idField] : [])];
      expect(Object.keys(rowSchema.properties)).toEqual(names);
      expect(rowSchema.additionalProperties).toBe(false);
      expect(batch.maxItems).toBe(config.service.max_batch_size);
      expect(media.examples.one_row.value).toEqual(JSON.parse(JSON.stringify(exampleRow)));
      expect(media.examples.batch.value).toHaveLength(2);
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '415', '503']));
      expect(post.parameters).toContainEqual(expect.objectContaining({ name: 'x-request-id', in: 'header' }));
      for (const status of ['200', '400', '503']) expect(post.responses[status].headers['x-request-id'].schema).toEqual({ type: 'string' });
      const prediction = schemaOf(schemaOf(post.responses['200'].content['application/json'].schema).properties.predictions.items);
      if (modelSpec.classes) expect(Object.keys(prediction.properties.probabilities.properties)).toEqual(modelSpec.classes);
      expect((await app.inject('/docs')).statusCode).toBeLessThan(400);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});

describe('the listeners (prediction log seam)', () => {
  it('get each prediction and each refused request', async () => {
    const predictions: PredictionEvent[] = [];
    const errors: RequestErrorEvent[] = [];
    const runtime = new OnnxModelRuntime({ dir: config.model.dir, topN: config.model.top_n });
    await runtime.load();
    const app = buildApp({
      config,
      runtime,
      logger: false,
      onPrediction: (e) => predictions.push(e),
      onRequestError: (e) => errors.push(e),
    });
    try {
      await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'r1' }, payload: [exampleRow, exampleRow] });
      await app.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': 'r2' }, payload: [] });
      expect(predictions).toHaveLength(1);
      expect(predictions[0]).toMatchObject({ requestId: 'r1', model: runtime.metadata });
      expect(predictions[0]!.rows).toHaveLength(2);
      expect(predictions[0]!.predictions).toHaveLength(2);
      expect(predictions[0]!.latencyMs).toBeGreaterThan(0);
      expect(errors).toEqual([
        expect.objectContaining({
          requestId: 'r2',
          statusCode: 400,
          method: 'POST',
          url: '/predict',
          body: { error: expect.stringContaining('empty') },
        }),
      ]);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});

describe('a real HTTP server', () => {
  it('listens on a free port and answers fetch', async () => {
    const { app, runtime } = await startApp(config);
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'fetch-1' },
        body: JSON.stringify([exampleRow]),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('fetch-1');
      const body = (await res.json()) as { request_id: string; predictions: unknown[] };
      expect(body.request_id).toBe('fetch-1');
      expect(body.predictions).toHaveLength(1);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});
