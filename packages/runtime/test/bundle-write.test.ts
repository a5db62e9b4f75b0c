// writeBundle replaces a bundle file by file, in the same folder (renaming a folder of a lower image layer
// fails with EXDEV on overlay filesystems; test/deploy/image.test.ts retrains inside an image for that case).
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { BUNDLE_FILES, REFERENCE_FILE, writeBundle } from '../src/model/bundle.js';
import { readBundle } from './service.js';
import { trainAndWriteBundle } from './service.js';

const config = loadConfig();
const hasData = existsSync(resolve(config.training.data));
const tmp = mkdtempSync(join(tmpdir(), 'bundle-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeBundle over an existing bundle', () => {
  it.runIf(hasData)(
    'keeps the folder, replaces every file, drops a reference.json the new bundle lacks, leaves no temporary file',
    async () => {
      const noGate = { ...config, model: { ...config.model, quality_gate: {} } };
      const first = await trainAndWriteBundle(noGate, { outDir: join(tmp, 'a') });
      const second = await trainAndWriteBundle(noGate, { outDir: join(tmp, 'b') });
      const target = join(tmp, 'target');
      writeBundle(target, readBundle(first.dir));
      expect(existsSync(join(target, REFERENCE_FILE))).toBe(true);
      const folder = statSync(target).ino;
      writeBundle(target, { ...readBundle(second.dir), reference: null });
      expect(statSync(target).ino).toBe(folder);
      expect(readdirSync(target).sort()).toEqual(Object.values(BUNDLE_FILES).sort());
      expect(existsSync(join(target, REFERENCE_FILE))).toBe(false);
      const written = readBundle(target);
      expect(written.metadata.model_uuid).toBe(second.metadata.model_uuid);
      expect(written.metadata.model_uuid).not.toBe(first.metadata.model_uuid);
      expect(readdirSync(tmp).filter((name) => name.startsWith('.'))).toEqual([]);
    },
  );
});
