// The generated Dockerfile and .dockerignore, checked with dockerfile-utils and dockerfilelint.
// (The image itself is built and run with podman by test/deploy/image.test.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, scaffold } from '../helpers/scaffold.js';
import { npmBin, run } from '../helpers/tools.js';
import { IMAGE_UID, NODE_VERSION, SERVER_COMMAND } from '../../generators/app/dependencies.js';

const require = createRequire(import.meta.url);
const dockerfilelint = require('dockerfilelint') as {
  run: (configDir: string, content: string) => { line: number; category: string; title: string; description: string }[];
};

/** dockerfile-utils (severity 1 = error) and dockerfilelint (every item is a finding: it has no severities). */
function lint(dir: string) {
  const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const utils = validate(text).filter((d) => d.severity === 1);
  const dfl = dockerfilelint.run(dir, text);
  return { text, utils, dfl };
}

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('Dockerfile of the iris service', () => {
  let dir: string;
  let text: string;
  beforeAll(async () => {
    dir = await scaffold({});
    text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  });

  it('dockerfile-utils and dockerfilelint report no errors', () => {
    const r = lint(dir);
    expect(r.utils, JSON.stringify(r.utils)).toEqual([]);
    expect(r.dfl, JSON.stringify(r.dfl)).toEqual([]);
    const cli = run(npmBin('dockerfilelint'), ['Dockerfile'], dir);
    expect(cli.status, cli.output).toBe(0);
  });

  it('is multi-stage: npm ci, build and train in the build stage; production dependencies only at run time, without npm', () => {
    const lines = instructions(text);
    const deps = lines.indexOf(`FROM node:${NODE_VERSION}-bookworm-slim AS deps`);
    const runtime = lines.indexOf('FROM debian:bookworm-slim AS runtime');
    expect(lines[0]).toBe(`FROM node:${NODE_VERSION}-bookworm-slim AS build`);
    expect(deps).toBeGreaterThan(0);
    expect(runtime).toBeGreaterThan(deps);
    const build = lines.slice(0, deps);
    const production = lines.slice(deps, runtime);
    const final = lines.slice(runtime);
    expect(production).toEqual(expect.arrayContaining(['COPY package.json package-lock.json .npmrc ./']));
    // production dependencies from the lockfile, other platforms' onnxruntime binaries removed
    expect(production.find((l) => l.startsWith('RUN npm ci --omit=dev --no-audit --no-fund'))).toContain(
      'find node_modules/onnxruntime-node/bin',
    );
    expect(final.some((l) => /\bnpm\b/.test(l))).toBe(false);
    expect(build).toEqual(
      expect.arrayContaining(['COPY package.json package-lock.json .npmrc ./', 'RUN npm ci --no-audit --no-fund', 'RUN npm run train']),
    );
    expect(build.indexOf('COPY package.json package-lock.json .npmrc ./')).toBeLessThan(build.indexOf('RUN npm ci --no-audit --no-fund'));
    expect(final).toEqual(
      expect.arrayContaining([
        'COPY --from=deps /usr/local/bin/node /usr/local/bin/node',
        'COPY --from=deps /app/node_modules ./node_modules',
        'COPY --from=build /app/dist ./dist',
        'COPY --from=build ["/app/model_bin", "/app/model_bin"]',
        'COPY package.json config.yaml features.yaml ./',
        `USER ${IMAGE_UID}:${IMAGE_UID}`,
        'EXPOSE 8080',
        `CMD ${JSON.stringify(SERVER_COMMAND)}`,
      ]),
    );
    // the onnxruntime-node install setting applies inside the build: .npmrc is copied and the variable set
    expect(text).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(readFileSync(join(dir, '.npmrc'), 'utf8')).toContain('ignore-scripts=true');
    // the non-root user comes before the command
    expect(final.indexOf(`USER ${IMAGE_UID}:${IMAGE_UID}`)).toBeLessThan(final.indexOf(`CMD ${JSON.stringify(SERVER_COMMAND)}`));
    expect(final.at(-1)).toBe(`CMD ${JSON.stringify(SERVER_COMMAND)}`);
  });

  it("HEALTHCHECK runs the service's own check with node (port from config.yaml / PORT, as the server reads it)", () => {
    const hc = instructions(text).find((l) => l.startsWith('HEALTHCHECK'))!;
    const argv = JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
    expect(argv).toEqual(['node', 'node_modules/@mlservice/runtime/dist/healthcheck.js']);
    const source = readFileSync(join(REPO_ROOT, 'packages/runtime/src/healthcheck.ts'), 'utf8');
    expect(source).toContain('loadConfig().service');
    expect(source).toContain('/health/live');
  });

  it('.dockerignore keeps local builds and VCS out, and the inputs of the build in', () => {
    const ignore = readFileSync(join(dir, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', 'model_bin', '.git', '.env']));
    for (const kept of [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'config.yaml',
      'features.yaml',
      'src',
      'data',
      'model_src',
      'tsconfig.json',
    ])
      expect(ignore).not.toContain(kept);
  });
});

describe('Dockerfile from other configs', () => {
  it('follows config.yaml (port, model dir) and keeps odd values inside their strings and comments', async () => {
    const dir = await scaffold({
      config: 'service:\n  port: 9191\nmodel:\n  dir: "models/it\'s \\"here\\""\nimage:\n  repository: "team/odd"\n  tag: "x_y"\n',
    });
    const r = lint(dir);
    expect(r.utils, JSON.stringify(r.utils)).toEqual([]);
    expect(r.dfl, JSON.stringify(r.dfl)).toEqual([]);
    const lines = instructions(r.text);
    expect(lines).toContain('EXPOSE 9191');
    expect(lines).toContain(`COPY --from=build ["/app/models/it's \\"here\\"", "/app/models/it's \\"here\\""]`);
    expect(r.text).toContain('docker build -t "docker.io/team/odd:x_y" .');
    // a tag with a line break is no image reference: refused at generation, naming the key
    await expect(scaffold({ config: 'image:\n  tag: "x\\ny"\n' })).rejects.toThrow(/image\.tag: "x\\ny" makes the image reference/);
  });

  it('a brought model (config model.onnx_path) is packed into the bundle by the same npm run train step', async () => {
    const { buildSoftmaxRegression } = await import('../../packages/runtime/src/model/onnx-builder.js');
    const model = join(mkdtempSync(join(tmpdir(), 'mlservice-byo-')), 'model.onnx');
    writeFileSync(model, buildSoftmaxRegression({ features: 4, outputs: 3, weights: new Array(12).fill(0.1), bias: [0, 0, 0] }));
    const dir = await scaffold({ config: `model:\n  onnx_path: ${JSON.stringify(model)}\n` });
    const r = lint(dir);
    expect(r.utils, JSON.stringify(r.utils)).toEqual([]);
    expect(r.dfl, JSON.stringify(r.dfl)).toEqual([]);
    expect(r.text).toContain('packs the brought ONNX model model_src/model.onnx into the model bundle');
    expect(instructions(r.text)).toContain('RUN npm run train');
    // the brought model is part of the build context
    expect(readFileSync(join(dir, '.dockerignore'), 'utf8')).not.toMatch(/^model_src/m);
  });
});
