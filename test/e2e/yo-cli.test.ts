// The published path: `npm pack`, install the tarball globally next to yo, run `yo mlservice` as a
// normal user (yo refuses root: it switches to uid 1000) with standard input closed.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
};
const USER = spawnSync('getent', ['passwd', '1000'], { encoding: 'utf8' }).stdout.split(':')[0];

describe.runIf(userInfo().uid === 0 && USER)('yo mlservice from the packed tarball', () => {
  it(
    'installs globally with yo and generates the iris service non-interactively',
    () => {
      const work = mkdtempSync(join(tmpdir(), 'mlservice-yo-'));
      const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
      const tarball = JSON.parse(packed.stdout)[0].filename as string;
      const prefix = join(work, 'prefix');
      sh('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', 'yo@7.0.1', join(work, tarball)], {
        env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      });
      expect(existsSync(join(prefix, 'lib/node_modules/generator-mlservice/generators/app/index.js'))).toBe(true);
      expect(existsSync(join(prefix, 'lib/node_modules/generator-mlservice/generators/app/index.ts'))).toBe(false);
      const home = join(work, 'home');
      const target = join(home, 'iris-service');
      mkdirSync(target, { recursive: true });
      sh('chmod', ['-R', 'a+rX', work]);
      chownSync(home, 1000, 1000);
      chownSync(target, 1000, 1000);
      const env = `HOME=${home} PATH=${join(prefix, 'bin')}:${process.env.PATH}`;
      const help = sh('su', [USER!, '-s', '/bin/bash', '-c', `env ${env} yo mlservice --help`]);
      for (const option of ['--features', '--config', '--example', '--name', '--yes', '--skip-install']) expect(help).toContain(option);
      sh('su', [USER!, '-s', '/bin/bash', '-c', `cd ${target} && env ${env} yo mlservice --skip-install`]);
      expect(JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')).name).toBe('iris-service');
      expect(readFileSync(join(target, 'src/schemas/features.ts'), 'utf8')).toContain('sepal_length');
    },
    10 * 60_000,
  );
});
