// The OpenAPI document as a client generator reads it: operationIds, named schemas, every status
// documented, and 200 examples that are the model's own answers.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRow, features } from './service.js';
import type { Config } from '../src/config.js';
import type { OnnxModelRuntime } from './service.js';
import { exampleInferRequest } from '../src/routes/v2/schemas.js';
import { modelSpec } from './service.js';
import { exampleRows } from '../src/schemas/openapi.js';
import { startApp, trainedConfig } from './api-helpers.js';

type Doc = {
  tags: { name: string; description?: string }[];
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        tags?: string[];
        responses: Record<string, { content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> }>;
      }
    >
  >;
  components: { schemas: Record<string, Record<string, unknown>> };
};

let config: Config;
let cleanup: () => void;
let app: FastifyInstance;
let runtime: OnnxModelRuntime;
let coldDoc: Doc;

beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig());
  ({ app, runtime } = await startApp(config, { load: false }));
  // Read before the model is loaded: the document is built (and cached) now, its examples come later.
  coldDoc = (await app.inject('/docs/json')).json();
  await runtime.load();
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  cleanup?.();
});

const docs = async (): Promise<Doc> => (await app.inject('/docs/json')).json();
const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const classes = () => modelSpec.classes ?? runtime.metadata.classes;

/** Every $ref in `value`. */
function refsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsOf(v, out);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  return out;
}

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId', async () => {
    const ids = operations(await docs()).map(({ method, path, op }) => op.operationId ?? `${method} ${path} has none`);
    expect(
      ids.every((id) => /^[A-Za-z][A-Za-z0-9]*$/.test(id)),
      ids.join(', '),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['predict', 'getLive', 'getReady', 'oipInfer', 'oipModelMetadata', 'sendFeedback']));
  });

  it('names its schemas in components.schemas, and every $ref resolves', async () => {
    const doc = await docs();
    for (const name of [
      'FeatureRow',
      'FeatureRowBatch',
      'PredictRequest',
      'Prediction',
      'PredictResponse',
      'ModelRef',
      'Error',
      'ErrorDetail',
      'OipError',
      'OipInferRequest',
      'OipInferResponse',
      'OipModelMetadata',
    ])
      expect(doc.components.schemas[name], name).toBeDefined();
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(doc.components.schemas[r.replace('#/components/schemas/', '')], r).toBeDefined();
    const predict = doc.paths['/predict']!.post!;
    expect(predict.responses['200']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/PredictResponse' });
    for (const status of ['400', '413', '415', '503'])
      expect(predict.responses[status]!.content!['application/json']!.schema, status).toEqual({ $ref: '#/components/schemas/Error' });
  });

  it('types the label as one of the classes (classification), or null (regression)', async () => {
    const { label } = (await docs()).components.schemas.Prediction!.properties as Record<string, { enum?: unknown[] }>;
    if (modelSpec.task === 'classification') expect(label!.enum).toEqual(classes());
    else expect(label!.enum).toEqual([null]);
  });

  it('documents 413 and 415 of infer, and describes every tag it uses', async () => {
    const doc = await docs();
    for (const path of ['/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer'])
      for (const status of ['200', '400', '404', '413', '415', '503'])
        expect(doc.paths[path]!.post!.responses[status], `${path} ${status}`).toBeDefined();
    const used = new Set(operations(doc).flatMap(({ op }) => op.tags ?? []));
    for (const tag of used) expect(doc.tags.find((t) => t.name === tag)?.description, tag).toBeTruthy();
    expect(used).toContain('feedback');
  });

  it("shows the model's own answers as 200 examples once it is loaded (none before)", async () => {
    expect(coldDoc.paths['/predict']!.post!.responses['200']!.content!['application/json']!.examples).toEqual({});
    const doc = await docs();
    const examples = doc.paths['/predict']!.post!.responses['200']!.content!['application/json']!.examples!;
    const [one, two] = exampleRows(features);
    const answered = async (body: unknown) => {
      const res = await app.inject({ method: 'POST', url: '/predict', ...json(body) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const single = await answered(one);
    const batch = await answered([one, two]);
    expect(examples.one_row!.value).toEqual({ ...single, request_id: 'example-request-id' });
    expect(examples.batch!.value).toEqual({ ...batch, request_id: 'example-request-id' });
    for (const p of batch.predictions) if (modelSpec.task === 'classification') expect(classes()).toContain(p.label);

    const infer = doc.paths['/v2/models/{name}/infer']!.post!.responses['200']!.content!['application/json']!.examples!;
    const res = await app.inject({
      method: 'POST',
      url: `/v2/models/${encodeURIComponent(config.model.name)}/infer`,
      ...json(exampleInferRequest(modelSpec, exampleRow)),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(infer.example!.value).toEqual(res.json());
  });
});
