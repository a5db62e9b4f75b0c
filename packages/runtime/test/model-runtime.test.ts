// OnnxModelRuntime over a real bundle trained from this service's data, and the bundles it refuses.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ExamplePreprocessor as Preprocessor } from '../src/examples/preprocessor.js';
import { BUNDLE_FILES } from '../src/model/bundle.js';
import { ModelLoadError, ModelNotReadyError } from '../src/model/onnx-runtime.js';
import { OnnxModelRuntime } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import { trainAndWriteBundle } from './service.js';

const config = loadConfig();
const noGate = { ...config, model: { ...config.model, quality_gate: {} } };
let tmp: string;
let bundleDir: string;

/** A copy of the trained bundle, damaged by `damage`, in its own folder. */
function damagedCopy(name: string, damage: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(bundleDir, dir, { recursive: true });
  damage(dir);
  return dir;
}

async function loadError(dir: string): Promise<ModelLoadError> {
  const runtime = new OnnxModelRuntime({ dir });
  const error = await runtime.load().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  expect(runtime.ready).toBe(false);
  return error as ModelLoadError;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'model-runtime-'));
  bundleDir = (await trainAndWriteBundle(noGate, { outDir: join(tmp, 'bundle') })).dir;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('OnnxModelRuntime on a trained bundle', () => {
  let runtime: OnnxModelRuntime;
  beforeAll(async () => {
    runtime = new OnnxModelRuntime({ dir: bundleDir });
    await runtime.load();
  });
  afterAll(() => runtime.close());

  it('is ready after load, with the bundle metadata', () => {
    expect(runtime.ready).toBe(true);
    expect(runtime.metadata.feature_hash).toBe(modelSpec.featureHash);
    expect(runtime.metadata.task).toBe(modelSpec.task);
  });

  it('answers one prediction per row, in order', async () => {
    const rows = [exampleRow, exampleRow, exampleRow];
    const predictions = await runtime.predict(rows, config.model.top_n);
    expect(predictions).toHaveLength(3);
    expect(predictions[1]).toEqual(predictions[0]);
  });

  it.runIf(modelSpec.task === 'classification')('gives the top-N probabilities, highest first, summing to 1 over all classes', async () => {
    const classes = runtime.metadata.classes!;
    const [all] = await runtime.predict([exampleRow], classes.length);
    const probs = Object.values(all!.probabilities!);
    expect(Object.keys(all!.probabilities!).sort()).toEqual([...classes].sort());
    expect(probs.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 4);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    expect(all!.label).toBe(Object.keys(all!.probabilities!)[0]);
    const [top1] = await runtime.predict([exampleRow], 1);
    expect(Object.keys(top1!.probabilities!)).toEqual([all!.label]);
  });

  it.runIf(modelSpec.task === 'classification')(
    'maps an int64 label output through the classes when there is no probabilities output',
    async () => {
      const dir = damagedCopy('label-only', (d) => {
        const path = join(d, BUNDLE_FILES.metadata);
        const m = JSON.parse(readFileSync(path, 'utf8'));
        writeFileSync(path, JSON.stringify({ ...m, onnx: { ...m.onnx, outputs: { label: m.onnx.outputs.label } } }));
      });
      const labelOnly = new OnnxModelRuntime({ dir });
      await labelOnly.load();
      const rows = [exampleRow, exampleRow];
      const [a, b] = [await labelOnly.predict(rows, 1), await runtime.predict(rows, 1)];
      await labelOnly.close();
      expect(a.map((p) => p.label)).toEqual(b.map((p) => p.label));
      expect(a[0]!.probabilities).toBeUndefined();
      expect(runtime.metadata.classes).toContain(a[0]!.label);
    },
  );

  it.runIf(modelSpec.task === 'regression')('gives a finite value and no label', async () => {
    const [p] = await runtime.predict([exampleRow], 1);
    expect(p!.label).toBeNull();
    expect(Number.isFinite(p!.value)).toBe(true);
  });
});

describe('bundles the runtime refuses', () => {
  it('a missing bundle dir: says to run npm run train', async () => {
    const e = await loadError(join(tmp, 'no-such-dir'));
    expect(e.message).toMatch(/no-such-dir is missing/);
    expect(e.message).toMatch(/npm run train/);
  });

  it('a missing file: names it', async () => {
    const e = await loadError(damagedCopy('no-preprocessor', (d) => rmSync(join(d, BUNDLE_FILES.preprocessor))));
    expect(e.message).toContain(BUNDLE_FILES.preprocessor);
    expect(e.message).toMatch(/is missing.*npm run train/);
  });

  it('corrupt model.onnx bytes', async () => {
    const e = await loadError(
      damagedCopy('corrupt-onnx', (d) => writeFileSync(join(d, BUNDLE_FILES.model), Buffer.from('this is not a protobuf model'))),
    );
    expect(e.file).toMatch(/model\.onnx$/);
    expect(e.message).toMatch(/model\.onnx is not a valid ONNX model/);
  });

  it('unparseable metadata.json', async () => {
    const e = await loadError(damagedCopy('bad-json', (d) => writeFileSync(join(d, BUNDLE_FILES.metadata), '{"model_uuid": ')));
    expect(e.message).toMatch(/metadata\.json is not valid JSON/);
  });

  it('a feature hash that is not the one of features.yaml', async () => {
    const e = await loadError(
      damagedCopy('wrong-hash', (d) => {
        const path = join(d, BUNDLE_FILES.metadata);
        writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), feature_hash: '0'.repeat(64) }));
      }),
    );
    expect(e.message).toMatch(/features\.yaml changed since this model was trained/);
    expect(e.message).toMatch(/retrain/);
  });

  it.runIf(modelSpec.task === 'classification' && modelSpec.classes !== null)('classes that differ from features.yaml', async () => {
    const e = await loadError(
      damagedCopy('wrong-classes', (d) => {
        const path = join(d, BUNDLE_FILES.metadata);
        const m = JSON.parse(readFileSync(path, 'utf8'));
        writeFileSync(path, JSON.stringify({ ...m, classes: [...m.classes].reverse().concat('extra') }));
      }),
    );
    expect(e.message).toMatch(/classes .* differ from features\.yaml/);
  });

  it('a preprocessor whose width does not match the model input', async () => {
    const e = await loadError(
      damagedCopy('wrong-width', (d) => {
        // A state with one more number feature: valid on its own, one column too wide for the model.
        const state = Preprocessor.fromState(JSON.parse(readFileSync(join(d, BUNDLE_FILES.preprocessor), 'utf8'))).state();
        state.features.push({ name: 'extra', kind: 'number', mean: 0, std: 1, fill: 0 });
        state.width += 1;
        writeFileSync(join(d, BUNDLE_FILES.preprocessor), JSON.stringify(state));
      }),
    );
    expect(e.message).toMatch(/takes \d+ values per row; preprocessor\.json produces \d+/);
  });

  it('a failed reload leaves the runtime not ready; a good one makes it ready again', async () => {
    const runtime = new OnnxModelRuntime({ dir: bundleDir });
    await runtime.load();
    const corrupt = damagedCopy('reload-corrupt', (d) => writeFileSync(join(d, BUNDLE_FILES.model), Buffer.alloc(16, 7)));
    const swapped = new OnnxModelRuntime({ dir: corrupt });
    await expect(swapped.load()).rejects.toBeInstanceOf(ModelLoadError);
    expect(swapped.ready).toBe(false);
    expect(() => swapped.metadata).toThrow(ModelNotReadyError);
    await runtime.load();
    expect(runtime.ready).toBe(true);
    expect(await runtime.predict([exampleRow], 1)).toHaveLength(1);
    await runtime.close();
    expect(runtime.ready).toBe(false);
  });

  it('predict before load', async () => {
    await expect(new OnnxModelRuntime({ dir: bundleDir }).predict([exampleRow], 1)).rejects.toBeInstanceOf(ModelNotReadyError);
  });
});
