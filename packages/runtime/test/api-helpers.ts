// Shared by the HTTP tests: a config, a real model bundle trained into a temp dir, and row builders
// derived from features.yaml (so the same tests run for any service's features).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from './service.js';
import { loadConfig, type Config } from '../src/config.js';
import { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import type { FeatureSpec } from '../src/schemas/model-spec.js';
import { trainAndWriteBundle } from './service.js';

/** config.yaml with the model dir in a fresh temp dir and no quality gate (tests train on the sample data). */
export function testConfig(overrides: (c: Config) => void = () => {}): Config {
  const config = loadConfig('config.yaml', {});
  config.model.quality_gate = {};
  overrides(config);
  return config;
}

/** Trains a real bundle into a temp dir; returns the config that points at it and a cleanup. */
export async function trainedConfig(overrides?: (c: Config) => void): Promise<{ config: Config; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mls-api-'));
  const config = testConfig(overrides);
  config.model.dir = dir;
  await trainAndWriteBundle(config, { outDir: dir });
  return { config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** buildApp over a real OnnxModelRuntime; `load: false` leaves the model unloaded (503 state). */
export async function startApp(config: Config, { load = true } = {}) {
  const runtime = new OnnxModelRuntime({ dir: config.model.dir, topN: config.model.top_n });
  const app = buildApp({ config, runtime, logger: false });
  await app.ready();
  if (load) await runtime.load();
  return { app, runtime };
}

/** For a test file: a trained bundle and an app over it with the model loaded, set up in beforeAll and closed in afterAll. */
export function trainedAppOfFile(): { readonly config: Config; readonly app: FastifyInstance; readonly runtime: OnnxModelRuntime } {
  const state = {} as { config: Config; app: FastifyInstance; runtime: OnnxModelRuntime; cleanup: () => void };
  beforeAll(async () => {
    ({ config: state.config, cleanup: state.cleanup } = await trainedConfig());
    ({ app: state.app, runtime: state.runtime } = await startApp(state.config));
  });
  afterAll(async () => {
    await state.app?.close();
    await state.runtime?.close();
    state.cleanup?.();
  });
  return state;
}

/** A copy of the example row (own properties only, so a feature named __proto__ stays data). */
export function row(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of [...Object.entries(exampleRow), ...Object.entries(changes)])
    Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of remove) delete r[k];
  return r;
}

export const features = modelSpec.features;
export const firstOf = (test: (f: FeatureSpec) => boolean): FeatureSpec | undefined => features.find(test);

/** A value of the wrong JSON type for the feature. */
export function wrongTypeValue(f: FeatureSpec): unknown {
  return f.type === 'number' || f.type === 'integer' || f.type === 'boolean' ? 'abc' : 12;
}

/** A feature name that is not in the spec. */
export const UNKNOWN_FEATURE = (() => {
  let name = 'colour';
  while (features.some((f) => f.name === name) || modelSpec.idField === name) name += '_x';
  return name;
})();

export const pointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** A trained service on a free port of 127.0.0.1 (real sockets); stop() closes it and removes the bundle. */
export async function startServer(overrides?: (c: Config) => void) {
  const { config, cleanup } = await trainedConfig(overrides);
  const { app, runtime } = await startApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const stop = async () => {
    await app.close();
    await runtime.close();
    cleanup();
  };
  return { config, app, runtime, port, stop };
}
