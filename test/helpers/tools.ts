// Command-line tools of the deploy tests: helm from scripts/install-tools.sh (.tools/bin/helm, or HELM_BIN),
// the npm linters from node_modules/.bin.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './scaffold.js';

export const HELM = process.env.HELM_BIN ?? join(REPO_ROOT, '.tools/bin/helm');

export function requireHelm(): string {
  if (!existsSync(HELM)) throw new Error(`helm not found at ${HELM}: run scripts/install-tools.sh (or set HELM_BIN).`);
  return HELM;
}

export const npmBin = (name: string) => join(REPO_ROOT, 'node_modules/.bin', name);

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for assertion messages. */
  output: string;
}

export function run(command: string, args: string[], cwd?: string, timeout = 120_000): RunResult {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}
