// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// The contract of src/contract/: what `npm run train` and the server rely on (see each file's header).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createBodyValidator, loadConfig, type TrainingData } from '@mlservice/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { features, modelSpec, rowJsonSchema } from '../src/schemas/features.js';
import { service, trainingDefinition } from '../src/service.js';

const config = loadConfig();
const dataPath = resolve(config.training.data);

// (vitest collects a skipped suite too: the data is loaded in beforeAll, which runs only when it exists)
describe.runIf(existsSync(dataPath))('the DataLoader and the Preprocessor, on config.yaml training.data', () => {
  let data: TrainingData;
  beforeAll(async () => {
    const { createDataLoader } = await trainingDefinition();
    data = await createDataLoader(dataPath, features).load();
  });

  it('loads rows and one target per row, each row accepted by the check of POST /predict', () => {
    expect(data.rows.length).toBeGreaterThan(0);
    expect(data.targets).toHaveLength(data.rows.length);
    const checked = createBodyValidator(modelSpec, rowJsonSchema, data.rows.length)(data.rows);
    expect('error' in checked ? checked.error.message : 'ok').toBe('ok');
  });

  it('turns the rows into `width` finite values each, and the same again from its saved state', () => {
    const fitted = service.Preprocessor.fit(data.rows, modelSpec);
    const X = fitted.transform(data.rows);
    expect(fitted.width).toBeGreaterThan(0);
    expect(X).toHaveLength(data.rows.length * fitted.width);
    expect(X.every(Number.isFinite)).toBe(true);
    const restored = service.Preprocessor.fromState(JSON.parse(JSON.stringify(fitted.state())));
    expect(restored.transform(data.rows)).toEqual(X);
  });
});
