// The OIP v2 answers checked against the protocol's own schemas: components.schemas of
// open_inference_rest.yaml (kserve/open-inference-protocol; test/fixtures/oip/SOURCE.md), with ajv.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { modelSpec, exampleRow } from './service.js';
import { parse } from 'yaml';
import { exampleInferRequest } from '../src/routes/v2/schemas.js';
import { trainedAppOfFile } from './api-helpers.js';

const SPEC = parse(readFileSync(new URL('./fixtures/oip/open_inference_rest.yaml', import.meta.url), 'utf8'));
// strict: false, as the document holds OpenAPI keys (x-examples, paths) beside the schemas.
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(SPEC, 'oip');

/** Fails with ajv's errors unless `value` is valid against components.schemas.<name>. */
function expectValid(name: string, value: unknown, what: string): void {
  const validate = ajv.getSchema(`oip#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in open_inference_rest.yaml`);
  const valid = validate(value);
  expect(valid, `${what} against ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`).toBe(true);
}

const served = trainedAppOfFile();

const model = () => `/v2/models/${encodeURIComponent(served.config.model.name)}`;
const json = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
  const res = await served.app.inject({
    method,
    url,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json() as unknown };
};

describe('OIP v2 answers against open_inference_rest.yaml', () => {
  it('the schemas compile, and reject what they should (the check can fail)', () => {
    expect(() => expectValid('inference_response', { outputs: [] }, 'no model_name')).toThrow();
    expect(() => expectValid('metadata_tensor', { name: 'x', datatype: 'FP32', shape: ['N'] }, 'string dimension')).toThrow();
  });

  it("server metadata (GET /v2 and the spec's GET /v2/) is a metadata_server_response", async () => {
    for (const url of ['/v2', '/v2/']) {
      const { status, body } = await json('GET', url);
      expect(status, url).toBe(200);
      expectValid('metadata_server_response', body, url);
    }
  });

  it('model metadata (plain and versions form) is a metadata_model_response; an unknown model a metadata_model_error_response', async () => {
    for (const url of [model(), `${model()}/versions/${served.runtime.metadata.model_uuid}`]) {
      const { status, body } = await json('GET', url);
      expect(status, url).toBe(200);
      expectValid('metadata_model_response', body, url);
    }
    const { status, body } = await json('GET', `${model()}-other`);
    expect(status).toBe(404);
    expectValid('metadata_model_error_response', body, 'unknown model');
  });

  it('the documented example request is an inference_request, and its answer an inference_response', async () => {
    const request = exampleInferRequest(modelSpec, exampleRow);
    expectValid('inference_request', request, 'example request');
    for (const url of [`${model()}/infer`, `${model()}/versions/${served.runtime.metadata.model_uuid}/infer`]) {
      const { status, body } = await json('POST', url, request);
      expect(status, url).toBe(200);
      expectValid('inference_response', body, url);
    }
    const { body } = await json('POST', `${model()}/infer`, { ...request, outputs: [] });
    expectValid('inference_response', body, 'outputs: []');
  });

  it('refused requests answer an inference_error_response', async () => {
    const request = exampleInferRequest(modelSpec, exampleRow);
    for (const bad of [{}, { ...request, parameters: 'x' }, { ...request, inputs: request.inputs.map((i) => ({ ...i, shape: [2, 1] })) }]) {
      const { status, body } = await json('POST', `${model()}/infer`, bad);
      expect(status).toBe(400);
      expectValid('inference_error_response', body, JSON.stringify(bad));
      expect(Object.keys(body as object)).toEqual(['error']); // the schema itself requires nothing
    }
  });
});
