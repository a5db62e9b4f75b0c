// The set-up demo: scaffold the iris example into ./demo/iris-service with the built generator,
// install it, train the model and serve it. Ctrl-C stops the service.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createEnv } from 'yeoman-environment';
import { serviceNodeEnv } from './service-node.mjs';

const dir = resolve(process.argv[2] ?? 'demo/iris-service');
mkdirSync(dir, { recursive: true });
const env = createEnv({ cwd: dir, skipInstall: true, force: true });
env.register(new URL('../generators/app/index.js', import.meta.url).pathname, { namespace: 'mlservice:app' });
await env.run('mlservice:app', { yes: true, skipInstall: true, example: existsSync(resolve(dir, 'features.yaml')) ? undefined : 'iris' });

// The service runs on its own Node (scripts/service-node.mjs).
const serviceEnv = serviceNodeEnv();
const run = (args) => {
  console.log(`\n$ npm ${args.join(' ')}   (in ${dir})`);
  const r = spawnSync('npm', args, { cwd: dir, stdio: 'inherit', env: serviceEnv });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['install', '--no-audit', '--no-fund']);
run(['run', 'train']);
console.log(
  '\n$ npm start   -> then try: curl -s localhost:8080/predict -H "content-type: application/json" -d \'{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\'',
);
console.log('   docs: http://localhost:8080/docs\n');
const server = spawn('npm', ['start'], { cwd: dir, stdio: 'inherit', env: serviceEnv });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill('SIGTERM'));
server.on('exit', (code) => process.exit(code ?? 0));
