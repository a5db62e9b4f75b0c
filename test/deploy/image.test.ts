// The generated service's image, built and run with podman as users and the build-image pipeline do:
// scaffold, install and train locally on the service's Node, build the Dockerfile, then run the generated
// smoke test (jenkins/build-image/smoke-test.sh: uid, read-only root fs, tmpfs /tmp, no capabilities,
// 512 MiB; ready, /predict, /metrics, HEALTHCHECK, SIGTERM exit 0) on the config port and on PORT.
// No registry is reachable here: scripts/podman-base-images.sh makes the FROM images locally (kept between runs).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_VERSION } from '../../generators/app/dependencies.js';
import { REPO_ROOT, scaffold } from '../helpers/scaffold.js';
import { serviceNodeEnv } from '../helpers/service-node.js';

/** npm of the locally made node base image (the official image carries the npm of its Node release). */
const BASE_NPM_VERSION = '11.21.2';
const MAX_IMAGE_BYTES = 300e6;
const CONFIG_PORT = 8181;
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const hasPodman = spawnSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).status === 0;
if (!hasPodman && process.env.CI !== 'true')
  console.warn('podman not found (scripts/install-tools.sh installs it): the image test is skipped');

describe.runIf(hasPodman || process.env.CI === 'true')('the iris service image, built and run with podman', () => {
  const tag = `localhost/mlservice-image-test:${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'mlservice-image-'));
  const env: NodeJS.ProcessEnv = {
    ...serviceNodeEnv(),
    CONTAINERS_CONF: join(work, 'containers.conf'),
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    NO_COLOR: '1',
  };
  let dir: string;

  function sh(command: string, args: string[], options: SpawnSyncOptions = {}): string {
    const r = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000, ...options });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0)
      throw new Error(
        `${command} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${out.slice(-6000)}`,
      );
    return out;
  }

  beforeAll(async () => {
    // podman's defaults exceed these machines' limits (setrlimit fails) and its default runtime crun fails on their cgroups
    const nofile = sh('sh', ['-c', 'ulimit -Hn']).trim();
    writeFileSync(
      env.CONTAINERS_CONF!,
      `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n`,
    );
    sh('bash', [join(REPO_ROOT, 'scripts/podman-base-images.sh'), NODE_VERSION, BASE_NPM_VERSION], { stdio: ['ignore', 'pipe', 'pipe'] });
    dir = await scaffold({ config: `service:\n  port: ${CONFIG_PORT}\n` });
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
    sh('npm', ['run', 'train'], { cwd: dir });
  }, 20 * 60_000);

  afterAll(() => {
    spawnSync('podman', ['rmi', '-f', tag, `${tag}-build`], { env });
    spawnSync('podman', ['image', 'prune', '-f'], { env });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "builds from the locally trained service with npm trusting this machine's CA at build time only, in <= 300 MB",
    () => {
      // npm's global config folder (prefix /usr/local), mounted for the build's RUN steps only: no layer holds it
      const npmEtc = join(work, 'npm-etc');
      mkdirSync(npmEtc);
      writeFileSync(join(npmEtc, 'npmrc'), 'cafile=/usr/local/etc/ca.crt\n');
      sh('cp', [CA_BUNDLE, join(npmEtc, 'ca.crt')]);
      const build = (...extra: string[]) =>
        sh('podman', ['build', '--pull=never', '--format', 'docker', '-v', `${npmEtc}:/usr/local/etc:ro`, ...extra, dir], { cwd: dir });
      const started = performance.now();
      build('-t', tag);
      const seconds = (performance.now() - started) / 1000;
      const size = Number(sh('podman', ['image', 'inspect', '--format', '{{.Size}}', tag]).split('\n')[0]);
      console.log(`image ${tag}: built in ${seconds.toFixed(0)} s, ${(size / 1e6).toFixed(1)} MB`);
      expect(size).toBeLessThanOrEqual(MAX_IMAGE_BYTES);

      const inImage = (script: string) => sh('podman', ['run', '--rm', '--entrypoint', '', tag, 'sh', '-c', script]).split('\n')[0]!.trim();
      expect(inImage('id -u; ')).toBe('10001');
      expect(inImage('ls /usr/local/etc | wc -l')).toBe('0');
      expect(inImage('command -v npm || echo none')).toBe('none');
      expect(inImage('node --version')).toBe(`v${NODE_VERSION}`);
      expect(inImage('ls node_modules/onnxruntime-node/bin/napi-v6/*/ -d | tr "\\n" " "')).toBe(
        'node_modules/onnxruntime-node/bin/napi-v6/linux/',
      );
      expect(inImage('test -e node_modules/typescript && echo dev || echo production')).toBe('production');
      // training's onnx-proto (and protobufjs) stay out: a peer declaration of it once kept them in
      expect(inImage('ls -d node_modules/onnx-proto node_modules/protobufjs 2>/dev/null | wc -l')).toBe('0');
      const history = sh('podman', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', tag]);
      expect(history).not.toContain('ca.crt');

      // the build stage retrains over the bundle of a lower layer (a directory rename there fails with EXDEV)
      build('--target', 'build', '-t', `${tag}-build`);
      const retrain = sh('podman', ['run', '--rm', `${tag}-build`, 'npm', 'run', 'train']);
      expect(retrain).toMatch(/wrote the model bundle \/app\/model_bin/);
    },
    20 * 60_000,
  );

  it.each([
    ['the port of config.yaml', {}],
    ['PORT', { PORT: '9191' }],
  ])(
    'runs as the chart runs it, listening on %s: ready, /predict, /metrics, HEALTHCHECK healthy, SIGTERM exit 0',
    (_, extra) => {
      const out = sh('bash', [join(dir, 'jenkins/build-image/smoke-test.sh')], {
        env: { ...env, IMAGE_REF: tag, CONTAINER_CLI: 'podman', ...extra },
      });
      expect(out).toContain(`listens on ${extra.PORT ?? CONFIG_PORT}`);
      for (const line of ['POST /predict 200', 'GET /metrics counts the request', 'HEALTHCHECK healthy', 'SIGTERM -> exit code 0'])
        expect(out).toContain(`smoke test: ${line}`);
    },
    5 * 60_000,
  );
});
