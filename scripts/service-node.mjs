// The generated service's own Node (NODE_VERSION of generators/app/dependencies.ts, installed from the
// npm registry into .tools/node by install-node.sh), first on PATH of the environment returned, for
// the scripts that install and run a service (`npm run demo`, `npm run bench`) as its users do.
import { spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';

export function serviceNodeEnv() {
  const installNode = spawnSync('bash', [new URL('./install-node.sh', import.meta.url).pathname], { stdio: 'inherit' });
  if (installNode.status !== 0) process.exit(installNode.status ?? 1);
  const env = {
    ...process.env,
    PATH: `${new URL('../.tools/node/bin', import.meta.url).pathname}${delimiter}${process.env.PATH ?? ''}`,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  };
  // the generator's own .npmrc setting reaches child npm runs as npm_config_*: the service does not use it
  for (const key of Object.keys(env)) if (/^npm_config_onnxruntime/i.test(key)) delete env[key];
  return env;
}
