// `npm run bench` in this repo: scaffold the iris service into .tmp/bench-service (kept between runs),
// install it on the service's Node (24, as its image runs it), and run the service's own benchmark (its `npm run bench`), passing extra arguments on.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEnv } from 'yeoman-environment';
import { serviceNodeEnv } from './service-node.mjs';

const dir = fileURLToPath(new URL('../.tmp/bench-service/', import.meta.url));
mkdirSync(dir, { recursive: true });
const env = createEnv({ cwd: dir, skipInstall: true, force: true });
env.register(fileURLToPath(new URL('../generators/app/index.js', import.meta.url)), { namespace: 'mlservice:app' });
await env.run('mlservice:app', { yes: true, skipInstall: true, example: 'iris' });
// installed, built and run on the service's own Node, as in its image
const serviceEnv = serviceNodeEnv();
const npm = (...args) => {
  const r = spawnSync('npm', args, { cwd: dir, stdio: 'inherit', env: serviceEnv });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
// The runtime tarball keeps its version from one build to the next: with the lockfile's integrity,
// npm would install the copy in its cache, an older build, instead of the one just packed.
rmSync(`${dir}package-lock.json`, { force: true });
rmSync(`${dir}node_modules/@mlservice/runtime`, { recursive: true, force: true });
npm('install', '--no-audit', '--no-fund', '--prefer-offline');
npm('run', 'bench', '--', ...process.argv.slice(2));
