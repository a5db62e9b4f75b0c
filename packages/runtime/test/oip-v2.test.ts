// Open Inference Protocol (KServe V2) REST conformance over a real model bundle, written from the
// protocol's published shapes (https://kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol):
//   health:          GET v2/health/live | v2/health/ready | v2/models/<name>[/versions/<v>]/ready -> 200 = true, else false
//   server metadata: GET v2 -> { name, version, extensions: [string] }
//   model metadata:  GET v2/models/<name>[/versions/<v>] -> { name, versions?, platform, inputs: [tensor], outputs: [tensor] },
//                    tensor = { name, datatype, shape }
//   infer:           POST v2/models/<name>[/versions/<v>]/infer { id?, parameters?, inputs: [{ name, shape, datatype, parameters?, data }], outputs? }
//                    -> { model_name, model_version?, id?, parameters?, outputs: [{ name, shape, datatype, parameters?, data }] }
//   errors:          { "error": string }
// Inputs and rows are derived from features.yaml, so the same tests run for any service's features.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './service.js';
import type { Config } from '../src/config.js';
import { OnnxModelRuntime } from './service.js';
import type { PredictionEvent } from '../src/prediction-event.js';
import { datatypeOf } from '../src/routes/v2/tensors.js';
import { modelSpec } from './service.js';
import type { FeatureSpec } from '../src/schemas/model-spec.js';
import { UNKNOWN_FEATURE, features, firstOf, row, startApp, trainedConfig } from './api-helpers.js';

let config: Config;
let cleanup: () => void;
let app: FastifyInstance;
let runtime: OnnxModelRuntime;
const events: PredictionEvent[] = [];

beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig());
  runtime = new OnnxModelRuntime({ dir: config.model.dir, topN: config.model.top_n });
  app = buildApp({ config, runtime, logger: false, onPrediction: (e) => events.push(e) });
  await app.ready();
  await runtime.load();
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  cleanup?.();
});

type Row = Record<string, unknown>;
interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

const isClassification = modelSpec.task === 'classification';
const q = (name: string) => JSON.stringify(name);
const modelPath = () => `/v2/models/${encodeURIComponent(config.model.name)}`;
const versionPath = () => `${modelPath()}/versions/${encodeURIComponent(runtime.metadata.model_uuid)}`;

/** The feature-per-input request of rows: one input per feature the first row has, in features.yaml order. */
function inferBody(
  rows: Row[],
  extra: Record<string, unknown> = {},
  { withId = false } = {},
): { inputs: Tensor[] } & Record<string, unknown> {
  const names = features.map((f) => f.name).filter((name) => Object.hasOwn(rows[0]!, name));
  const inputs: Tensor[] = names.map((name) => {
    const f = features.find((x) => x.name === name)!;
    return { name, datatype: datatypeOf(f.type), shape: [rows.length], data: rows.map((r) => r[name]) };
  });
  if (withId && modelSpec.idField)
    inputs.push({ name: modelSpec.idField, datatype: 'BYTES', shape: [rows.length], data: rows.map((_, i) => `entity-${i}`) });
  return { inputs, ...extra };
}

const send = (opts: InjectOptions, target = app) => target.inject(opts);
const get = (url: string, target = app) => send({ method: 'GET', url }, target);
const infer = (body: unknown, url = `${modelPath()}/infer`, target = app) =>
  send(
    {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    },
    target,
  );
const predict = (body: unknown) =>
  send({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

/** The 400 answer, checked to be exactly the OIP error object; returns its message. */
async function refused(body: unknown, url?: string): Promise<string> {
  const res = await infer(body, url);
  expect(res.statusCode, res.body).toBe(400);
  const answer = res.json();
  expect(Object.keys(answer)).toEqual(['error']);
  expect(typeof answer.error).toBe('string');
  return answer.error as string;
}

/** Several valid rows that differ: numeric features swept over their range, categories and booleans cycled. */
function variedRows(count = 6): Row[] {
  return Array.from({ length: count }, (_, i) => {
    // null prototype: a feature named __proto__ becomes an own key, not the prototype
    const changes: Row = Object.create(null);
    for (const f of features) {
      const t = i / Math.max(1, count - 1);
      if ((f.type === 'number' || f.type === 'integer') && f.min !== undefined && f.max !== undefined) {
        const v = f.min + (f.max - f.min) * t;
        changes[f.name] = f.type === 'integer' ? Math.round(v) : Math.round(v * 1000) / 1000;
      } else if (f.type === 'category' && f.values?.length) changes[f.name] = f.values[i % f.values.length];
      else if (f.type === 'boolean') changes[f.name] = i % 2 === 0;
    }
    return row(changes, modelSpec.idField ? [modelSpec.idField] : []);
  });
}

const exampleRows = (n = 1) => Array.from({ length: n }, () => row({}, modelSpec.idField ? [modelSpec.idField] : []));
const output = (answer: { outputs: Tensor[] }, name: string) => answer.outputs.find((o) => o.name === name);

describe('OIP v2: health and metadata', () => {
  it('server live and ready answer 200', async () => {
    expect((await get('/v2/health/live')).statusCode).toBe(200);
    expect((await get('/v2/health/ready')).statusCode).toBe(200);
  });

  it('server metadata has name, version and extensions', async () => {
    const res = await get('/v2');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({ name: config.service.name, version: config.service.version, extensions: expect.any(Array) });
    for (const e of body.extensions) expect(typeof e).toBe('string');
  });

  it('model metadata: name, versions, platform, one input per feature, outputs by task (plain and versions form)', async () => {
    for (const url of [modelPath(), versionPath()]) {
      const res = await get(url);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.name).toBe(config.model.name);
      expect(body.versions).toEqual([runtime.metadata.model_uuid]);
      expect(body.platform).toBe('onnx_onnxv1');
      const expectedDatatype: Record<FeatureSpec['type'], string> = {
        number: 'FP32',
        integer: 'INT64',
        boolean: 'BOOL',
        string: 'BYTES',
        category: 'BYTES',
      };
      expect(body.inputs).toEqual(features.map((f) => ({ name: f.name, datatype: expectedDatatype[f.type], shape: [-1] })));
      if (isClassification) {
        expect(body.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [-1] });
        if (runtime.metadata.onnx.outputs.probabilities)
          expect(body.outputs[1]).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, runtime.metadata.classes!.length] });
      } else {
        expect(body.outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [-1] }]);
      }
      for (const t of [...body.inputs, ...body.outputs]) expect(Object.keys(t).sort()).toEqual(['datatype', 'name', 'shape']);
    }
  });

  it('model ready answers 200 (plain and versions form)', async () => {
    expect((await get(`${modelPath()}/ready`)).statusCode).toBe(200);
    expect((await get(`${versionPath()}/ready`)).statusCode).toBe(200);
  });

  it('an unknown model name or version is 404 with an error object', async () => {
    const other = `${config.model.name}-other`;
    for (const url of [
      `/v2/models/${other}`,
      `/v2/models/${other}/ready`,
      `${modelPath()}/versions/0/ready`,
      `${modelPath()}/versions/0`,
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(typeof res.json().error).toBe('string');
    }
    for (const url of [`/v2/models/${other}/infer`, `${modelPath()}/versions/not-the-uuid/infer`]) {
      const res = await infer(inferBody(exampleRows()), url);
      expect(res.statusCode, url).toBe(404);
      expect(Object.keys(res.json())).toEqual(['error']);
    }
  });

  it('is documented in the OpenAPI document under the oip-v2 tag', async () => {
    const doc = (await get('/docs/json')).json();
    for (const path of [
      '/v2/health/live',
      '/v2/health/ready',
      '/v2',
      '/v2/models/{name}',
      '/v2/models/{name}/ready',
      '/v2/models/{name}/versions/{version}',
    ])
      expect(doc.paths[path]?.get?.tags, path).toEqual(['oip-v2']);
    const post = doc.paths['/v2/models/{name}/infer'].post;
    expect(post.tags).toEqual(['oip-v2']);
    const named = (media: { schema: { $ref: string } }) => doc.components.schemas[media.schema.$ref.replace('#/components/schemas/', '')];
    expect(named(post.requestBody.content['application/json']).properties.inputs).toBeDefined();
    expect(named(post.responses['200'].content['application/json']).properties.outputs).toBeDefined();
    expect(doc.tags.map((t: { name: string }) => t.name)).toContain('oip-v2');
  });
});

describe('OIP v2: infer', () => {
  it('answers the example row with outputs in OIP shape and echoes id', async () => {
    const res = await infer(inferBody(exampleRows(), { id: 'req-1' }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.model_name).toBe(config.model.name);
    expect(body.model_version).toBe(runtime.metadata.model_uuid);
    expect(body.id).toBe('req-1');
    for (const o of body.outputs) expect(Object.keys(o).sort()).toEqual(['data', 'datatype', 'name', 'shape']);
    if (isClassification) {
      expect(output(body, 'label')).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: [expect.any(String)] });
      if (runtime.metadata.onnx.outputs.probabilities) {
        const C = runtime.metadata.classes!.length;
        const probs = output(body, 'probabilities')!;
        expect(probs.datatype).toBe('FP32');
        expect(probs.shape).toEqual([1, C]);
        expect(probs.data).toHaveLength(C);
        expect((probs.data as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        // the label is the most probable class
        const data = probs.data as number[];
        expect(output(body, 'label')!.data[0]).toBe(runtime.metadata.classes![data.indexOf(Math.max(...data))]);
      }
    } else {
      expect(body.outputs).toEqual([{ name: 'value', datatype: 'FP32', shape: [1], data: [expect.any(Number)] }]);
    }
  });

  it('leaves id out when none was sent, and ignores (valid) parameters', async () => {
    const body = inferBody(exampleRows(), { parameters: { content_type: 'np', binary_data_output: false, n: 3 } });
    for (const input of body.inputs) (input as unknown as Row).parameters = { content_type: 'np' };
    const res = await infer(body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).not.toHaveProperty('id');
  });

  it('answers a batch: shape [N], [N, 1] and nested data give the same outputs, and the versions form too', async () => {
    const rows = variedRows(4);
    const flat = await infer(inferBody(rows));
    expect(flat.statusCode, flat.body).toBe(200);
    const column = inferBody(rows);
    for (const input of column.inputs) input.shape = [rows.length, 1];
    const nested = inferBody(rows);
    for (const input of nested.inputs) {
      input.shape = [rows.length, 1];
      input.data = input.data.map((v) => [v]);
    }
    for (const [body, url] of [
      [column, undefined],
      [nested, undefined],
      [inferBody(rows), `${versionPath()}/infer`],
    ] as const) {
      const res = await infer(body, url);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().outputs).toEqual(flat.json().outputs);
    }
    const first = flat.json().outputs[0] as Tensor;
    expect(first.shape[0]).toBe(rows.length);
    expect(first.data).toHaveLength(rows.length);
  });

  it('takes the other datatypes of a feature type (FP64 or an integer type for a number, INT32 for an integer)', async () => {
    const rows = variedRows(3);
    const canonical = await infer(inferBody(rows));
    expect(canonical.statusCode, canonical.body).toBe(200);
    const other = inferBody(rows);
    for (const input of other.inputs) {
      const f = features.find((x) => x.name === input.name)!;
      if (f.type === 'number') input.datatype = input.data.every(Number.isInteger) ? 'INT64' : 'FP64';
      if (f.type === 'integer') input.datatype = input.data.every((v) => (v as number) >= 0) ? 'UINT32' : 'INT32';
    }
    const res = await infer(other);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().outputs).toEqual(canonical.json().outputs);
    // an integer type with a fraction is refused, naming the element
    const f = firstOf((x) => x.type === 'number' || x.type === 'integer');
    if (!f) return;
    const fraction = inferBody(rows);
    const input = fraction.inputs.find((i) => i.name === f.name)!;
    input.datatype = 'INT64';
    input.data[1] = 0.5;
    expect(await refused(fraction)).toContain(`input ${q(f.name)}: data[1] must be an integer`);
  });

  it('answers only the requested outputs', async () => {
    const name = isClassification ? 'label' : 'value';
    const res = await infer(inferBody(exampleRows(2), { outputs: [{ name }] }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().outputs.map((o: Tensor) => o.name)).toEqual([name]);
    const error = await refused(inferBody(exampleRows(), { outputs: [{ name: 'nope' }] }));
    expect(error).toContain('"nope"');
  });

  it('gives the same labels, probabilities and values as POST /predict for the same rows', async () => {
    const rows = variedRows(6);
    const [v2, v1] = await Promise.all([infer(inferBody(rows)), predict(rows)]);
    expect(v2.statusCode, v2.body).toBe(200);
    expect(v1.statusCode, v1.body).toBe(200);
    const predictions = v1.json().predictions as { label: string | null; probabilities?: Record<string, number>; value?: number }[];
    const answer = v2.json();
    if (!isClassification) {
      expect(output(answer, 'value')!.data).toEqual(predictions.map((p) => p.value));
      return;
    }
    expect(output(answer, 'label')!.data).toEqual(predictions.map((p) => p.label));
    const probs = output(answer, 'probabilities');
    if (!probs) return;
    const classes = runtime.metadata.classes!;
    const C = classes.length;
    predictions.forEach((p, i) => {
      // /predict sends the top model.top_n classes; each equals the v2 probability of that class
      for (const [cls, value] of Object.entries(p.probabilities!))
        expect(probs.data[i * C + classes.indexOf(cls)], `row ${i} class ${q(cls)}`).toBe(value);
    });
  });

  it('fills optional features left out with their default, as /predict does', async () => {
    const optional = firstOf((f) => !f.required);
    if (!optional) return;
    const rows = exampleRows(1).map((r) => row(r, [optional.name]));
    const [v2, v1] = await Promise.all([infer(inferBody(rows)), predict(rows)]);
    expect(v2.statusCode, v2.body).toBe(200);
    const label = isClassification ? 'label' : 'value';
    expect(output(v2.json(), label)!.data[0]).toEqual(v1.json().predictions[0][label]);
  });

  it('logs infer answers as predictions through the prediction seam (entity ID input included)', async () => {
    events.length = 0;
    const rows = variedRows(3);
    const res = await infer(inferBody(rows, {}, { withId: true }), undefined);
    expect(res.statusCode, res.body).toBe(200);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.requestId).toBe(res.headers['x-request-id']);
    expect(event!.rows).toHaveLength(3);
    expect(event!.model.model_uuid).toBe(runtime.metadata.model_uuid);
    for (const f of features.filter((x) => Object.hasOwn(rows[0]!, x.name)))
      expect(Object.getOwnPropertyDescriptor(event!.rows[1], f.name)?.value, f.name).toEqual(rows[1]![f.name]);
    if (modelSpec.idField) expect(event!.predictions.map((p) => p.entity_id)).toEqual(['entity-0', 'entity-1', 'entity-2']);
    const label = isClassification ? 'label' : 'value';
    expect(event!.predictions.map((p) => p[label])).toEqual(output(res.json(), label)!.data);
    // logged as /predict logs them: the top model.top_n classes
    if (isClassification && runtime.metadata.onnx.outputs.probabilities) {
      const v1 = (await predict(rows)).json().predictions as { probabilities: Record<string, number> }[];
      expect(event!.predictions.map((p) => Object.entries(p.probabilities!))).toEqual(v1.map((p) => Object.entries(p.probabilities)));
    }
  });
});

describe('OIP v2: infer errors name the input', () => {
  const f0 = features[0]!;
  const wrongDatatype = (f: FeatureSpec) => (f.type === 'string' || f.type === 'category' ? 'FP32' : 'BYTES');

  it('a wrong datatype', async () => {
    for (const f of features) {
      const body = inferBody(exampleRows());
      body.inputs.find((i) => i.name === f.name)!.datatype = wrongDatatype(f);
      const error = await refused(body);
      expect(error).toContain(`input ${q(f.name)}`);
      expect(error).toContain('datatype');
    }
  });

  it('data that are not of the datatype', async () => {
    const body = inferBody(exampleRows());
    body.inputs[0]!.data = [f0.type === 'string' || f0.type === 'category' ? 12 : 'abc'];
    expect(await refused(body)).toContain(`input ${q(f0.name)}: data[0]`);
  });

  it('a shape that does not match data, a bad shape, and inputs of different N', async () => {
    const short = inferBody(exampleRows(2));
    short.inputs[0]!.data = short.inputs[0]!.data.slice(0, 1);
    const e1 = await refused(short);
    expect(e1).toContain(`input ${q(f0.name)}`);
    expect(e1).toContain('shape');

    const bad = inferBody(exampleRows());
    bad.inputs[0]!.shape = [1, 2];
    bad.inputs[0]!.data = [bad.inputs[0]!.data[0], bad.inputs[0]!.data[0]];
    expect(await refused(bad)).toContain(`input ${q(f0.name)}`);

    if (features.length > 1) {
      const mixed = inferBody(exampleRows(2));
      const last = mixed.inputs[mixed.inputs.length - 1]!;
      last.shape = [1];
      last.data = last.data.slice(0, 1);
      const e3 = await refused(mixed);
      expect(e3).toContain(`input ${q(last.name)}`);
      expect(e3).toContain('same first dimension');
    }
  });

  it('a missing required input', async () => {
    const f = firstOf((x) => x.required)!;
    const body = inferBody(exampleRows());
    body.inputs = body.inputs.filter((i) => i.name !== f.name);
    const error = await refused(body);
    expect(error).toContain('missing input');
    expect(error).toContain(q(f.name));
  });

  it('an unknown input, and inherited property names that are not features', async () => {
    for (const name of [UNKNOWN_FEATURE, '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      if (features.some((f) => f.name === name) || modelSpec.idField === name) continue;
      const body = inferBody(exampleRows());
      body.inputs.push({ name, datatype: 'FP32', shape: [1], data: [1] });
      const error = await refused(body);
      expect(error).toContain(`unknown input ${q(name)}`);
    }
    expect(({} as Row).polluted).toBeUndefined();
  });

  it('the same input twice', async () => {
    const body = inferBody(exampleRows());
    body.inputs.push({ ...body.inputs[0]! });
    expect(await refused(body)).toContain(`input ${q(f0.name)} appears more than once`);
  });

  it('an out-of-range value, named with its element', async () => {
    const f = firstOf((x) => (x.type === 'number' || x.type === 'integer') && x.max !== undefined);
    if (!f) return;
    const rows = exampleRows(3);
    rows[2]![f.name] = f.max! + 1;
    const error = await refused(inferBody(rows));
    expect(error).toContain(`input ${q(f.name)}: data[2]`);
    expect(error).toContain(`<= ${f.max}`);
  });

  it('a value that is not one of the categories', async () => {
    const f = firstOf((x) => x.type === 'category');
    if (!f) return;
    const rows = exampleRows(2);
    rows[1]![f.name] = `${f.values!.join('')}-not-a-category`;
    const error = await refused(inferBody(rows));
    expect(error).toContain(`input ${q(f.name)}: data[1]`);
    expect(error).toContain('must be one of');
  });

  it('malformed requests: not JSON, not an object, no inputs, empty batch, over max_batch_size, non-string id', async () => {
    const res = await infer('{"inputs": [');
    expect(res.statusCode).toBe(400);
    expect(typeof res.json().error).toBe('string');
    expect(await refused([])).toContain('inference request object');
    expect(await refused({})).toContain('"inputs"');
    expect(await refused({ inputs: [] })).toContain('"inputs" is empty');
    const empty = inferBody(exampleRows());
    for (const input of empty.inputs) {
      input.shape = [0];
      input.data = [];
    }
    expect(await refused(empty)).toContain('empty');
    const max = config.service.max_batch_size;
    expect(await refused(inferBody(exampleRows(max + 1)))).toContain(`${max}`);
    expect(await refused(inferBody(exampleRows(), { id: 7 }))).toContain('"id"');
  });
});

describe('OIP v2: before the model is loaded', () => {
  let cold: FastifyInstance;
  let coldRuntime: OnnxModelRuntime;
  beforeAll(async () => {
    ({ app: cold, runtime: coldRuntime } = await startApp(config, { load: false }));
  });
  afterAll(async () => {
    await cold?.close();
    await coldRuntime?.close();
  });

  it('live is 200; server ready, model ready, metadata and infer are 503', async () => {
    expect((await get('/v2/health/live', cold)).statusCode).toBe(200);
    expect((await get('/v2/health/ready', cold)).statusCode).toBe(503);
    expect((await get(`${modelPath()}/ready`, cold)).statusCode).toBe(503);
    expect((await get(modelPath(), cold)).statusCode).toBe(503);
    const res = await infer(inferBody(exampleRows()), `${modelPath()}/infer`, cold);
    expect(res.statusCode).toBe(503);
    expect(Object.keys(res.json())).toEqual(['error']);
    // the name is known before the model is loaded
    expect((await get(`/v2/models/${config.model.name}-other/ready`, cold)).statusCode).toBe(404);
  });
});

describe('OIP v2: paths, parameters, nesting and outputs as the protocol has them', () => {
  it("answers the trailing-slash forms of the paths (GET /v2/ is the protocol's server-metadata path)", async () => {
    for (const url of ['/v2', '/v2/health/live', '/v2/health/ready', modelPath(), `${modelPath()}/ready`, versionPath()]) {
      const [plain, slash] = [await get(url), await get(`${url}/`)];
      expect(slash.statusCode, `${url}/`).toBe(200);
      expect(slash.json()).toEqual(plain.json());
    }
    const res = await infer(inferBody(exampleRows()), `${modelPath()}/infer/`);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('parameters: an object of string, number or boolean values (request, input and output level)', async () => {
    const ok = inferBody(exampleRows(), {
      parameters: { a: 'x', b: 2, c: true },
      outputs: [{ name: isClassification ? 'label' : 'value', parameters: { binary_data: false } }],
    });
    ok.inputs[0]!.parameters = { content_type: 'np' } as never;
    const res = await infer(ok);
    expect(res.statusCode, res.body).toBe(200);

    const notObject = await refused(inferBody(exampleRows(), { parameters: 'x' }));
    expect(notObject).toContain('"parameters" must be an object of string, number or boolean values; got "x"');
    const nested = await refused(inferBody(exampleRows(), { parameters: { deep: { b: 1 } } }));
    expect(nested).toContain('"parameters": "deep" must be a string, number or boolean; got {"b":1}');
    expect(await refused(inferBody(exampleRows(), { parameters: [1] }))).toContain('got [1]');
    const input = inferBody(exampleRows());
    input.inputs[0]!.parameters = { list: [1, 2] } as never;
    expect(await refused(input)).toContain(
      `input ${q(firstInput().name)}: "parameters": "list" must be a string, number or boolean; got [1,2]`,
    );
    const output = inferBody(exampleRows(), { outputs: [{ name: isClassification ? 'label' : 'value', parameters: 'x' }] });
    expect(await refused(output)).toContain('outputs[0].parameters must be an object');
  });

  it('data are flat or nested exactly to the shape: [[a, b]] for shape [2, 1] is refused', async () => {
    const body = inferBody(exampleRows(2));
    const input = body.inputs[0]!;
    input.shape = [2, 1];
    input.data = [input.data];
    const error = await refused(body);
    expect(error).toContain(`input ${q(input.name)} has data nested as [1, 2] but shape [2,1]`);
    const deeper = inferBody(exampleRows(2));
    deeper.inputs[0]!.shape = [2, 1];
    deeper.inputs[0]!.data = deeper.inputs[0]!.data.map((v) => [[v]]);
    expect(await refused(deeper)).toContain('nested as [2, 1, ...]');
    const flatShape = inferBody(exampleRows(2));
    flatShape.inputs[0]!.data = flatShape.inputs[0]!.data.map((v) => [v]);
    expect(await refused(flatShape)).toContain('but shape [2]');
  });

  it('outputs: [] answers every output, as when outputs is absent', async () => {
    const rows = variedRows(3);
    const [all, empty] = [await infer(inferBody(rows)), await infer(inferBody(rows, { outputs: [] }))];
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json().outputs.map((o: Tensor) => o.name)).toEqual(
      isClassification && runtime.metadata.onnx.outputs.probabilities ? ['label', 'probabilities'] : [isClassification ? 'label' : 'value'],
    );
    expect(empty.json().outputs).toEqual(all.json().outputs);
  });

  it('a number too large for the datatype (1e999 reads as Infinity) is named as received, not as null', async () => {
    const f = firstOf((x) => x.type === 'number');
    if (!f) return;
    const body = inferBody(exampleRows());
    body.inputs.find((i) => i.name === f.name)!.data = ['__BIG__'];
    const error = await refused(JSON.stringify(body).replace('"__BIG__"', '1e999'));
    expect(error).toContain(
      `input ${q(f.name)}: data[0] must be a number (datatype FP32); got a number beyond the range of a 64-bit float (read as Infinity)`,
    );
    expect(error).not.toContain('null');
  });
});

const firstInput = () => features.find((f) => Object.hasOwn(exampleRows()[0]!, f.name))!;
