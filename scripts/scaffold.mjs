// Runs the compiled generator into a folder, non-interactively, through the yeoman-environment API
// (yo itself refuses to run as root). Usage: node scripts/scaffold.mjs <dir> [--features f --config c] [--skip-install]
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEnv } from 'yeoman-environment';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    features: { type: 'string' },
    config: { type: 'string' },
    name: { type: 'string' },
    example: { type: 'string' },
    'skip-install': { type: 'boolean', default: false },
  },
});
const cwd = resolve(positionals[0] ?? '.');
mkdirSync(cwd, { recursive: true });
const env = createEnv({ cwd, skipInstall: values['skip-install'], force: true });
env.register(new URL('../generators/app/index.js', import.meta.url).pathname, { namespace: 'mlservice:app' });
await env.run('mlservice:app', {
  yes: true,
  skipInstall: values['skip-install'],
  ...(values.features ? { features: resolve(values.features), config: resolve(values.config) } : {}),
  ...(values.name ? { name: values.name } : {}),
  ...(values.example ? { example: values.example } : {}),
});
