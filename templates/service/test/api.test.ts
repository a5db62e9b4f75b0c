// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// This service's API with its own features: a real model bundle trained (or packed) into a temporary
// folder, the app built by src/app.ts, called through fastify's inject. Add tests of your own routes here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, OnnxModelRuntime, type Config } from '@mlservice/runtime';
import { trainAndWriteBundle } from '@mlservice/runtime/train';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { exampleRow, modelSpec } from '../src/schemas/features.js';
import { service, trainingDefinition } from '../src/service.js';

let app: FastifyInstance;
let runtime: OnnxModelRuntime;
let config: Config;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'service-api-'));
  config = loadConfig();
  // `npm run train` checks the quality gate; here the bundle only has to answer.
  config.model.quality_gate = {};
  config.model.dir = dir;
  await trainAndWriteBundle(await trainingDefinition(), config, { outDir: dir });
  runtime = new OnnxModelRuntime({ dir, topN: config.model.top_n, spec: modelSpec, exampleRow, Preprocessor: service.Preprocessor });
  await runtime.load();
  app = buildApp({ config, runtime, logger: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The example row with some features changed or removed (own properties: any feature name stays data). */
function row(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of [...Object.entries(exampleRow), ...Object.entries(changes)])
    Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of remove) delete r[k];
  return r;
}

const predict = (body: unknown) =>
  app.inject({ method: 'POST', url: '/predict', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const fields = (res: { json: () => { details?: { field?: string }[] } }) => (res.json().details ?? []).map((d) => d.field);

describe('POST /predict', () => {
  it('answers the example row and a batch of two', async () => {
    const res = await predict([row(), row()]);
    expect(res.statusCode, res.body).toBe(200);
    const { predictions } = res.json();
    expect(predictions).toHaveLength(2);
    for (const p of predictions) {
      if (modelSpec.task === 'classification') expect(runtime.metadata.classes).toContain(p.label);
      else expect(Number.isFinite(p.value)).toBe(true);
    }
  });

  it.each(modelSpec.features.filter((f) => f.required && f.default === undefined).map((f) => [f.name]))(
    'refuses a row without %s, naming it',
    async (name) => {
      const res = await predict(row({}, [name]));
      expect(res.statusCode).toBe(400);
      expect(fields(res)).toContain(name);
    },
  );

  it.each(modelSpec.features.map((f) => [f.name, f.type === 'string' || f.type === 'category' ? 12 : 'abc']))(
    'refuses a wrong type for %s, naming it and what was received',
    async (name, wrong) => {
      const res = await predict(row({ [name]: wrong }));
      expect(res.statusCode).toBe(400);
      expect(fields(res)).toContain(name);
      expect(
        res
          .json()
          .details.map((d: { message: string }) => d.message)
          .join('\n'),
      ).toContain(`got ${JSON.stringify(wrong)}`);
    },
  );

  it('refuses an unknown feature, naming it', async () => {
    let unknown = 'colour';
    while (Object.hasOwn(exampleRow, unknown) || modelSpec.idField === unknown) unknown += '_x';
    const res = await predict(row({ [unknown]: 1 }));
    expect(res.statusCode).toBe(400);
    expect(fields(res)).toContain(unknown);
  });
});

it('documents every feature in /docs/json', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  const documented = Object.keys(doc.components.schemas.FeatureRow.properties);
  for (const f of modelSpec.features) expect(documented).toContain(f.name);
});
