// `npm run train` as a function: quality gate, determinism, bring-your-own model; and the contract
// files it uses (DataLoader, Preprocessor).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { CsvDataLoader } from '../src/examples/data-loader.js';
import { ExamplePreprocessor as Preprocessor } from '../src/examples/preprocessor.js';
import { BUNDLE_FILES } from '../src/model/bundle.js';
import { buildLinearRegression, buildSoftmaxRegression } from '../src/model/onnx-builder.js';
import { OnnxModelRuntime, features } from './service.js';
import { exampleRow, modelSpec } from './service.js';
import { QualityGateError, split } from '../src/training.js';
import { trainAndWriteBundle } from './service.js';
import { parse } from 'csv-parse/sync';

const config = loadConfig();
const noGate = { ...config, model: { ...config.model, quality_gate: {} } };
const dataPath = resolve(config.training.data);
/** A brought model (model.onnx_path) may come without training data; the data tests need it. */
const hasData = existsSync(dataPath);
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'train-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('trainAndWriteBundle', () => {
  it.runIf(hasData)('meets the quality gate of config.yaml on the data of training.data', async () => {
    const { metadata, dir } = await trainAndWriteBundle(config, { outDir: join(tmp, 'gated') });
    const gate = config.model.quality_gate;
    const metric = gate.metric ?? (modelSpec.task === 'classification' ? 'accuracy' : 'r2');
    const value = metadata.metrics[metric]!;
    expect(Number.isFinite(value)).toBe(true);
    if (gate.min !== undefined) expect(value).toBeGreaterThanOrEqual(gate.min);
    if (gate.max !== undefined) expect(value).toBeLessThanOrEqual(gate.max);
    for (const file of Object.values(BUNDLE_FILES)) expect(existsSync(join(dir, file))).toBe(true);
    expect(metadata.training.rows + metadata.training.test_rows).toBeGreaterThan(0);
    expect(metadata.features).toEqual(modelSpec.features.map((f) => f.name));
    if (modelSpec.classes) expect(metadata.classes).toEqual(modelSpec.classes);
  });

  it.runIf(hasData)('writes nothing and names metric, value and threshold when the gate fails', async () => {
    const metric = modelSpec.task === 'classification' ? 'accuracy' : 'r2';
    const strict = { ...config, model: { ...config.model, quality_gate: { metric, min: 1.5 } as const } };
    const outDir = join(tmp, 'failed');
    const error = await trainAndWriteBundle(strict, { outDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QualityGateError);
    expect((error as Error).message).toMatch(new RegExp(`${metric} = [\\d.-]+ is below the minimum 1\\.5`));
    expect(existsSync(outDir)).toBe(false);
  });

  it('is deterministic for a seed', async () => {
    const a = await trainAndWriteBundle(noGate, { outDir: join(tmp, 'seed-a') });
    const b = await trainAndWriteBundle(noGate, { outDir: join(tmp, 'seed-b') });
    expect(readFileSync(join(a.dir, BUNDLE_FILES.model))).toEqual(readFileSync(join(b.dir, BUNDLE_FILES.model)));
    expect(a.metadata.metrics).toEqual(b.metadata.metrics);
    expect(a.metadata.model_uuid).not.toBe(b.metadata.model_uuid);
  });

  it('replaces an existing bundle', async () => {
    const outDir = join(tmp, 'replaced');
    const first = await trainAndWriteBundle(noGate, { outDir });
    const second = await trainAndWriteBundle(noGate, { outDir });
    expect(JSON.parse(readFileSync(join(outDir, BUNDLE_FILES.metadata), 'utf8')).model_uuid).toBe(second.metadata.model_uuid);
    expect(second.metadata.model_uuid).not.toBe(first.metadata.model_uuid);
  });

  it.runIf(modelSpec.task === 'regression' || modelSpec.classes !== null)(
    'packs a brought ONNX model with the raw input layout',
    async () => {
      // A model over the raw layout (one value per feature): weights chosen here, not learnt.
      const F = modelSpec.features.length;
      const C = modelSpec.classes?.length ?? 1;
      const weights = Array.from({ length: F * C }, (_, k) => ((k % 5) - 2) / 10);
      const bias = Array.from({ length: C }, (_, c) => c / 10);
      const bytes =
        modelSpec.task === 'classification'
          ? buildSoftmaxRegression({ features: F, outputs: C, weights, bias })
          : buildLinearRegression({ features: F, weights, bias });
      const onnxPath = join(tmp, 'brought.onnx');
      writeFileSync(onnxPath, bytes);
      const byo = { ...noGate, model: { ...noGate.model, onnx_path: onnxPath } };
      const { dir, metadata } = await trainAndWriteBundle(byo, { outDir: join(tmp, 'byo') });
      expect(readFileSync(join(dir, BUNDLE_FILES.model))).toEqual(Buffer.from(bytes));
      expect(metadata.training.rows).toBe(0);
      if (hasData) expect(Object.keys(metadata.metrics).length).toBeGreaterThan(0);

      // The raw layout of exampleRow, computed here from the spec.
      const x = modelSpec.features.map((f) => {
        const v = Object.hasOwn(exampleRow, f.name) ? (exampleRow as Record<string, unknown>)[f.name] : f.default;
        if (f.type === 'boolean') return v ? 1 : 0;
        if (f.type === 'category') return f.values!.indexOf(String(v));
        if (f.type === 'string') return 0;
        return Number(v);
      });
      const z = Array.from({ length: C }, (_, c) => bias[c]! + x.reduce((s, xj, j) => s + xj * weights[j * C + c]!, 0));
      const runtime = new OnnxModelRuntime({ dir });
      await runtime.load();
      const [p] = await runtime.predict([exampleRow], C);
      await runtime.close();
      if (modelSpec.task === 'regression') {
        expect(p!.value).toBeCloseTo(z[0]!, 3);
      } else {
        const max = Math.max(...z);
        const sum = z.reduce((a, v) => a + Math.exp(v - max), 0);
        modelSpec.classes!.forEach((c, i) => expect(p!.probabilities![c]).toBeCloseTo(Math.exp(z[i]! - max) / sum, 5));
        expect(p!.label).toBe(modelSpec.classes![z.indexOf(max)]);
      }
    },
  );
});

describe('split', () => {
  it('is a seeded permutation with test_fraction of the rows in the test split', () => {
    const { trainIdx, testIdx } = split(100, 0.2, 7);
    expect(testIdx).toHaveLength(20);
    expect([...trainIdx, ...testIdx].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(split(100, 0.2, 7)).toEqual({ trainIdx, testIdx });
    expect(split(100, 0.2, 8).testIdx).not.toEqual(testIdx);
  });
});

describe.runIf(hasData)('CsvDataLoader', () => {
  it('loads the training data with one target per row', async () => {
    const { rows, targets } = await new CsvDataLoader(dataPath, features).load();
    expect(rows.length).toBeGreaterThan(0);
    expect(targets).toHaveLength(rows.length);
  });

  const numeric = modelSpec.features.find((f) => f.type === 'number' || f.type === 'integer');
  it.runIf(numeric !== undefined)('names the CSV line and column of a bad cell', async () => {
    const lines = readFileSync(dataPath, 'utf8').trimEnd().split(/\r?\n/);
    const header = lines[0]!;
    const col = header.split(',').findIndex((h) => h.replace(/^"|"$/g, '') === numeric!.name);
    const cells = lines[1]!.split(',');
    cells[col] = 'not-a-number';
    const path = join(tmp, 'bad.csv');
    writeFileSync(path, [header, lines[2]!, cells.join(',')].join('\n'));
    await expect(new CsvDataLoader(path, features).load()).rejects.toThrow(
      `${path} line 3, column ${JSON.stringify(numeric!.name)}: expected a`,
    );
  });

  const required = modelSpec.features.filter((f) => f.required && f.default === undefined);
  it.runIf(required.length > 0)(
    'names the line and column of every required feature left empty (any name, __proto__ included)',
    async () => {
      const table = parse(readFileSync(dataPath, 'utf8'), { relax_column_count: true }) as string[][];
      const quote = (cells: string[]) => cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
      for (const f of required) {
        const blank = [...table[1]!];
        blank[table[0]!.indexOf(f.name)] = '';
        const path = join(tmp, 'blank.csv');
        writeFileSync(path, [quote(table[0]!), quote(table[2]!), quote(blank)].join('\n'));
        await expect(new CsvDataLoader(path, features).load(), f.name).rejects.toThrow(
          `${path} line 3, column ${JSON.stringify(f.name)}: is required`,
        );
      }
    },
  );

  it('names a missing target column', async () => {
    const path = join(tmp, 'no-target.csv');
    writeFileSync(path, 'something\n1\n');
    await expect(new CsvDataLoader(path, features).load()).rejects.toThrow(`has no column ${JSON.stringify(modelSpec.target)}`);
  });
});

describe.runIf(hasData)('Preprocessor', () => {
  it('round-trips through state() / fromState() and JSON', async () => {
    const { rows } = await new CsvDataLoader(dataPath, features).load();
    const fitted = Preprocessor.fit(rows, modelSpec);
    const restored = Preprocessor.fromState(JSON.parse(JSON.stringify(fitted.state())));
    expect(restored.width).toBe(fitted.width);
    expect(restored.transform(rows)).toEqual(fitted.transform(rows));
    expect(fitted.transform(rows)).toHaveLength(rows.length * fitted.width);
  });

  it('standardizes number features to mean 0 on the rows it was fitted on', async () => {
    const { rows } = await new CsvDataLoader(dataPath, features).load();
    const p = Preprocessor.fit(rows, modelSpec);
    const X = p.transform(rows);
    const state = p.state();
    let offset = 0;
    for (const f of state.features) {
      if (f.kind === 'number') {
        let sum = 0;
        for (let i = 0; i < rows.length; i++) sum += X[i * p.width + offset]!;
        expect(Math.abs(sum / rows.length)).toBeLessThan(1e-3);
      }
      offset += f.kind === 'one_hot' ? f.values.length : f.kind === 'ignored' ? 0 : 1;
    }
  });

  it('refuses a malformed state', () => {
    expect(() => Preprocessor.fromState({ version: 2 })).toThrow(/version-1/);
    expect(() => Preprocessor.fromState({ version: 1, encoding: 'raw', width: 5, features: [] })).toThrow(/width 5/);
  });
});
