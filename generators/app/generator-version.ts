import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './files.js';

/** This generator's version, as its package.json says (recorded in a service's .yo-rc.json). */
export const GENERATOR_VERSION: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;
