// For tests that run the built server (dist/src/server.js) in a child process, as `npm start` does:
// a trained bundle in a temporary folder, and the service compiled once per test file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../src/config.js';
import { trainAndWriteBundle } from './service.js';

export interface BuiltServer {
  /** A temporary folder of the test file (removed after it). */
  tmp: string;
  /** The trained model bundle: MLS_MODEL_DIR of the child. */
  bundleDir: string;
}

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. `cleanup` runs before the folder is removed. */
export function useBuiltServer(prefix: string, cleanup?: () => unknown): BuiltServer {
  const built = { tmp: '', bundleDir: '' };
  beforeAll(async () => {
    built.tmp = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const config = loadConfig();
    built.bundleDir = (
      await trainAndWriteBundle({ ...config, model: { ...config.model, quality_gate: {} } }, { outDir: join(built.tmp, 'bundle') })
    ).dir;
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit', timeout: 120_000 });
  }, 180_000);
  afterAll(async () => {
    await cleanup?.();
    rmSync(built.tmp, { recursive: true, force: true });
  });
  return built;
}
