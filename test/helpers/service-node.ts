// The generated service's Node (NODE_VERSION, e.g. 24; the machines have Node 20): scripts/install-tools.sh
// installs it into .tools/node/bin (or NODE_SERVICE_BIN names a folder holding `node`). Tests that install,
// build, test, train or serve a generated service run its npm commands with it first on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NODE_VERSION } from '../../generators/app/dependencies.js';
import { REPO_ROOT } from './scaffold.js';

export const SERVICE_NODE_DIR = process.env.NODE_SERVICE_BIN ?? join(REPO_ROOT, '.tools/node/bin');

/** process.env with the service's Node first on PATH; in CI it must be there, elsewhere the test warns and uses the running Node. */
export function serviceNodeEnv(): NodeJS.ProcessEnv {
  const node = join(SERVICE_NODE_DIR, 'node');
  const version = existsSync(node) ? spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  if (version !== `v${NODE_VERSION}`) {
    const problem = `Node ${NODE_VERSION} not found in ${SERVICE_NODE_DIR} (found ${version || 'none'}): run scripts/install-tools.sh`;
    if (process.env.CI === 'true') throw new Error(problem);
    console.warn(`${problem}; the service runs on ${process.version} instead`);
    return { ...process.env };
  }
  return { ...process.env, PATH: `${SERVICE_NODE_DIR}${delimiter}${process.env.PATH ?? ''}` };
}
