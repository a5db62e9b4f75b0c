// Brought models in the exporters' layouts, packed by `npm run train` (trainAndWriteBundle) and served by
// the real onnxruntime session: one input per feature with strings, float64 in and out, int64 input and
// labels, a fixed batch; and the models it refuses, with the file, the input or output and the fix.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { OnnxModelRuntime } from './service.js';
import type { Row } from './service.js';
import type { FeatureSpec, ModelSpec } from '../src/schemas/model-spec.js';
import { trainAndWriteBundle } from './service.js';
import {
  BAD_MODELS,
  COLUMNS_CLASSIFIER,
  DOUBLE_REGRESSOR,
  FIXED_BATCH_REGRESSOR,
  INT64_CLASSIFIER,
  softmaxScores,
} from './exported-models.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'byo-models-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const feature = (name: string, type: FeatureSpec['type'], example: FeatureSpec['example'], values?: string[]): FeatureSpec => ({
  name,
  type,
  required: true,
  example,
  redact: false,
  ...(values ? { values } : {}),
});
const specOf = (task: ModelSpec['task'], features: FeatureSpec[], classes: string[] | null = null): ModelSpec => ({
  task,
  target: 'y',
  classes,
  idField: null,
  featureHash: `test-${features.map((f) => f.name).join('-')}`,
  features,
});

/** `npm run train` with only model.onnx_path set (no training data), then the runtime over the bundle. */
async function packAndLoad(name: string, bytes: Uint8Array, spec: ModelSpec): Promise<{ runtime: OnnxModelRuntime; original: string }> {
  const original = join(tmp, `${name}.onnx`);
  writeFileSync(original, bytes);
  const config = parseConfig({ model: { onnx_path: original, dir: join(tmp, name) }, training: { data: join(tmp, 'no-data.csv') } });
  const { dir } = await trainAndWriteBundle(config, { spec });
  expect(readFileSync(original)).toEqual(Buffer.from(bytes));
  const runtime = new OnnxModelRuntime({ dir, spec });
  await runtime.load();
  return { runtime, original };
}

describe("brought models in the exporters' layouts", () => {
  it('one string and one float input per feature: OneHotEncoder + Concat + LinearClassifier + ZipMap', async () => {
    const m = COLUMNS_CLASSIFIER;
    const spec = specOf('classification', [feature('colour', 'category', 'red', m.colours), feature('size', 'number', 1)]);
    const { runtime } = await packAndLoad('columns', m.build(), spec);
    expect(runtime.metadata.classes).toEqual(m.classes);
    const rows = [
      { colour: 'red', size: 0.5 },
      { colour: 'blue', size: 3 },
      { colour: 'green', size: 1.3 },
    ];
    const answers = await runtime.predict(rows, 2);
    await runtime.close();
    rows.forEach((row, i) => {
      const p = softmaxScores(m.x(row), m.coefficients, m.intercepts);
      m.classes.forEach((c, k) => expect(answers[i]!.probabilities![c]).toBeCloseTo(p[k]!, 5));
      expect(answers[i]!.label).toBe(m.classes[p.indexOf(Math.max(...p))]);
    });
    expect(new Set(answers.map((a) => a.label)).size).toBe(2);
  });

  it('a float64 input and output: fed and answered in float64', async () => {
    const m = DOUBLE_REGRESSOR;
    const spec = specOf('regression', [feature('x1', 'number', 1), feature('x2', 'number', 2)]);
    const { runtime } = await packAndLoad('double', m.build(), spec);
    const rows = [
      { x1: 1.000000123456789, x2: 0.1 },
      { x1: -7.25, x2: 3.3333333333333 },
    ];
    const answers = await runtime.predict(rows, 1);
    await runtime.close();
    rows.forEach((row, i) => expect(answers[i]!.value).toBeCloseTo(m.value([row.x1, row.x2]), 12));
  });

  it('an int64 input with int64 labels: answered as strings, or as the names features.yaml gives them', async () => {
    const m = INT64_CLASSIFIER;
    const features = [feature('a', 'integer', 1), feature('b', 'integer', 2)];
    const rows = [
      { a: 4, b: -3 },
      { a: -5, b: 6 },
    ];
    for (const classes of [null, ['three', 'seven']]) {
      const { runtime } = await packAndLoad(`int64-${classes ? 'named' : 'plain'}`, m.build(), specOf('classification', features, classes));
      const names = classes ?? m.labels.map(String);
      expect(runtime.metadata.classes).toEqual(names);
      const answers = await runtime.predict(rows, 2);
      await runtime.close();
      rows.forEach((row, i) => {
        const p = softmaxScores([row.a, row.b], m.coefficients, m.intercepts);
        names.forEach((c, k) => expect(answers[i]!.probabilities![c]).toBeCloseTo(p[k]!, 5));
        expect(answers[i]!.label).toBe(names[p.indexOf(Math.max(...p))]);
      });
      expect(answers[0]!.label).not.toBe(answers[1]!.label);
    }
  });

  it("a label output alone, holding int64 labels (not class indices): mapped through the model's labels", async () => {
    const m = INT64_CLASSIFIER;
    const rows = [
      { a: 4, b: -3 },
      { a: -5, b: 6 },
    ];
    const names = ['three', 'seven'];
    const { runtime } = await packAndLoad(
      'int64-label-only',
      m.build(true),
      specOf('classification', [feature('a', 'integer', 1), feature('b', 'integer', 2)], names),
    );
    const answers = await runtime.predict(rows, 2);
    await runtime.close();
    rows.forEach((row, i) => {
      const p = softmaxScores([row.a, row.b], m.coefficients, m.intercepts);
      expect(answers[i]).toEqual({ label: names[p.indexOf(Math.max(...p))] });
    });
  });

  it('a fixed batch of 3: any number of rows is split and padded, answers equal row-by-row runs', async () => {
    const m = FIXED_BATCH_REGRESSOR;
    const spec = specOf('regression', [feature('x1', 'number', 1), feature('x2', 'number', 2)]);
    const { runtime } = await packAndLoad('fixed-batch', m.build(), spec);
    const rows: Row[] = Array.from({ length: 7 }, (_, i) => ({ x1: i * 0.75 - 2, x2: 3 - i }) as Row);
    const together = await runtime.predict(rows, 1);
    const alone = await Promise.all(rows.map(async (r) => (await runtime.predict([r], 1))[0]!));
    await runtime.close();
    expect(together).toEqual(alone);
    rows.forEach((row, i) => expect(together[i]!.value).toBeCloseTo(m.value([(row as { x1: number }).x1, (row as { x2: number }).x2]), 4));
  });
});

describe('brought models that cannot be served: `npm run train` names the file, the input or output and the fix', () => {
  const attempt = async (name: string, bytes: Uint8Array, spec: ModelSpec) => {
    const path = join(tmp, `${name}.onnx`);
    writeFileSync(path, bytes);
    const config = parseConfig({
      model: { onnx_path: path, dir: join(tmp, `${name}-bundle`) },
      training: { data: join(tmp, 'no-data.csv') },
    });
    const error = await trainAndWriteBundle(config, { spec }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(path);
    expect(error!.message).toMatch(/Fix: /);
    return error!.message;
  };
  const two = [feature('x1', 'number', 1), feature('x2', 'number', 2)];

  it('not an ONNX file', async () => {
    expect(await attempt('not-onnx', new TextEncoder().encode('a,b\n1,2\n'), specOf('regression', two))).toMatch(/not an ONNX model/);
  });

  it('an input type the service cannot feed', async () => {
    expect(await attempt('int32', BAD_MODELS.int32Input(), specOf('regression', two))).toMatch(/input "input".*int32/);
  });

  it('no usable output', async () => {
    const message = await attempt('no-output', BAD_MODELS.noUsableOutput(), specOf('classification', two, ['a', 'b']));
    expect(message).toMatch(/model\.outputs.*"scores_a".*"scores_b"/s);
  });
});
