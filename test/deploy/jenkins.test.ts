// The generated Jenkins pipelines: npm-groovy-lint (Groovy syntax, CodeNarc) and the values of config.yaml where they belong.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scaffold } from '../helpers/scaffold.js';
import { npmBin, run } from '../helpers/tools.js';

const PIPELINES = ['train-model', 'build-image', 'deploy'] as const;

const CONFIG = `
service:
  name: iris-ci
  port: 9000
model:
  dir: bundle
  quality_gate:
    metric: macro_f1
    min: 0.85
scm:
  repository: https://git.example.com/ml/iris-ci.git
  branch: release
  credentials_id: git-ci
image:
  registry: registry.internal:5000
  repository: team/iris-ci
  tag: "1.2.0"
  credentials_id: registry-push
kubernetes:
  namespace: ml-prod
  deployment_name: iris-api
  credentials_id: kube-prod
`;

/** Values that would break out of a Groovy or shell string if printed raw. */
const HOSTILE = {
  scmRepository: "https://git.example.com/o'brien/repo.git",
  branch: "feat/x'; sh('rm -rf /'); '",
  credentials: 'cred\\with"quotes\'and${env.PATH}',
  // a tag cannot carry shell: image references are checked against their grammar at generation
  tag: '1.0.0-rc_1.x',
};
const HOSTILE_CONFIG = `
service:
  name: hostile-ci
  description: "A \\"quoted\\" description with 'single' quotes"
model:
  quality_gate:
    metric: accuracy
    max: 0.999
scm:
  repository: ${JSON.stringify(HOSTILE.scmRepository)}
  branch: ${JSON.stringify(HOSTILE.branch)}
  credentials_id: ${JSON.stringify(HOSTILE.credentials)}
image:
  tag: ${JSON.stringify(HOSTILE.tag)}
  credentials_id: ${JSON.stringify(HOSTILE.credentials)}
kubernetes:
  credentials_id: ${JSON.stringify(HOSTILE.credentials)}
`;

/** `NAME = '...'` lines of the environment block, unquoted as Groovy reads single-quoted strings. */
function environment(jenkinsfile: string): Record<string, string> {
  const block = jenkinsfile.slice(
    jenkinsfile.indexOf('environment {'),
    jenkinsfile.indexOf('\n    }', jenkinsfile.indexOf('environment {')),
  );
  const entries = [...block.matchAll(/^\s+(\w+) = '((?:[^'\\]|\\.)*)'$/gm)].map(([, k, v]) => [
    k,
    v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
  ]);
  expect(entries.length).toBeGreaterThan(3);
  return Object.fromEntries(entries);
}

const stages = (jenkinsfile: string) => [...jenkinsfile.matchAll(/stage\('([^']+)'\)/g)].map((m) => m[1]);

describe('Jenkins pipelines', () => {
  let dir: string;
  let hostileDir: string;
  const read = (d: string, p: string) => readFileSync(join(d, 'jenkins', p, 'Jenkinsfile'), 'utf8');

  beforeAll(async () => {
    dir = await scaffold({ config: CONFIG });
    hostileDir = await scaffold({
      config: HOSTILE_CONFIG,
      features: readFileSync(new URL('../fixtures/hostile/features.yaml', import.meta.url), 'utf8'),
    });
  });

  it('every Jenkinsfile (normal and hostile values) passes npm-groovy-lint with no error', () => {
    const files = [dir, hostileDir].flatMap((d) => PIPELINES.map((p) => join(d, 'jenkins', p, 'Jenkinsfile')));
    const lint = run(npmBin('npm-groovy-lint'), ['--noserver', '--failon', 'error', '--output', 'json', ...files], undefined, 240_000);
    expect(lint.status, lint.output).toBe(0);
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{')));
    expect(report.summary.totalFilesLinted).toBe(files.length);
    expect(report.summary.totalFoundErrorNumber, JSON.stringify(report.files, null, 1)).toBe(0);
  }, 300_000);

  it('npm-groovy-lint does fail on a broken pipeline (the check is real)', () => {
    const broken = join(dir, 'jenkins/deploy/Broken.groovy');
    const text = read(dir, 'deploy').replace(/\n}\s*$/, '\n');
    writeFileSync(broken, text);
    const lint = run(npmBin('npm-groovy-lint'), ['--noserver', '--failon', 'error', broken], undefined, 120_000);
    expect(lint.status).not.toBe(0);
  }, 150_000);

  it('train-model: checkout, install, contract tests, train, quality gate from config, archive the bundle', () => {
    const f = read(dir, 'train-model');
    expect(stages(f)).toEqual(['Checkout', 'Install', 'Contract tests', 'Train', 'Quality gate', 'Archive model', 'Publish model']);
    expect(environment(f)).toMatchObject({
      SCM_REPOSITORY: 'https://git.example.com/ml/iris-ci.git',
      SCM_BRANCH: 'release',
      SCM_CREDENTIALS_ID: 'git-ci',
      MODEL_DIR: 'bundle',
      QUALITY_METRIC: 'macro_f1',
      QUALITY_MIN: '0.85',
      QUALITY_MAX: '',
    });
    expect(f).toContain('git url: env.SCM_REPOSITORY, branch: env.SCM_BRANCH, credentialsId: env.SCM_CREDENTIALS_ID');
    expect(f).toContain("sh 'npm run train'");
    expect(f).toContain('if (env.QUALITY_MIN && (value as double) < (env.QUALITY_MIN as double))');
    expect(f).toContain('if (env.QUALITY_MAX && (value as double) > (env.QUALITY_MAX as double))');
    expect(f).toContain('readJSON(file: "${env.MODEL_DIR}/metadata.json")');
    expect(f).toContain('archiveArtifacts artifacts: "${env.MODEL_DIR}/**", fingerprint: true');
    expect(f).toContain('withCredentials([gitUsernamePassword(credentialsId: env.SCM_CREDENTIALS_ID)])');
  });

  it('build-image: lint, tests, Dockerfile lint, build with config tag + build number + commit, smoke test, push with the registry credentials ID', () => {
    const f = read(dir, 'build-image');
    expect(stages(f)).toEqual(['Checkout', 'Install', 'Lint', 'Test', 'Dockerfile lint', 'Docker build', 'Smoke test', 'Push']);
    expect(environment(f)).toMatchObject({
      IMAGE_NAME: 'registry.internal:5000/team/iris-ci',
      IMAGE_TAG: '1.2.0',
      REGISTRY_URL: 'https://registry.internal:5000',
      REGISTRY_CREDENTIALS_ID: 'registry-push',
    });
    expect(f).toContain('env.BUILD_TAG_FULL = "${env.IMAGE_TAG}-${env.BUILD_NUMBER}-${commit}"');
    expect(f).toContain('docker build --pull');
    // the smoke test is the generated script that test/deploy/image.test.ts runs against the built image
    expect(f).toContain(`sh 'IMAGE_REF="$IMAGE_REF" CONTAINER_CLI="\${CONTAINER_CLI:-docker}" bash jenkins/build-image/smoke-test.sh'`);
    const smoke = readFileSync(join(dir, 'jenkins/build-image/smoke-test.sh'), 'utf8');
    expect(smoke).toContain('CONFIG_PORT=9000');
    expect(smoke).toContain('--user 10001:10001 --read-only --tmpfs /tmp --cap-drop ALL --memory 512m');
    expect(smoke).toContain('--data-binary "@$HERE/smoke-request.json" "http://$address/predict"');
    expect(f).toContain('withDockerRegistry([credentialsId: env.REGISTRY_CREDENTIALS_ID, url: env.REGISTRY_URL])');
    // the smoke request is the generated example, valid JSON
    const body = JSON.parse(readFileSync(join(dir, 'jenkins/build-image/smoke-request.json'), 'utf8'));
    expect(body).toMatchObject({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
  });

  it('deploy: helm upgrade --install --atomic --wait into the namespace of config, kubeconfig by credentials ID, then helm test', () => {
    const f = read(dir, 'deploy');
    expect(stages(f)).toEqual(['Checkout', 'Helm lint', 'Deploy', 'Helm test']);
    expect(environment(f)).toMatchObject({
      RELEASE: 'iris-api',
      CHART: 'helm/iris-ci',
      NAMESPACE: 'ml-prod',
      KUBE_CREDENTIALS_ID: 'kube-prod',
      IMAGE_NAME: 'registry.internal:5000/team/iris-ci',
    });
    expect(f).toContain("string(name: 'IMAGE_TAG', defaultValue: '1.2.0'");
    expect(f).toMatch(/helm upgrade --install "\$RELEASE" "\$CHART" \\\s+--namespace "\$NAMESPACE"/);
    expect(f).toContain('--atomic --wait');
    expect(f).toContain('--set image.tag="$IMAGE_TAG"');
    expect(f.match(/withCredentials\(\[file\(credentialsId: env.KUBE_CREDENTIALS_ID, variable: 'KUBECONFIG'\)\]\)/g)).toHaveLength(2);
    expect(f).toContain('helm test "$RELEASE" --namespace "$NAMESPACE"');
  });

  it('no secret in any pipeline: credentials are only referenced by ID', () => {
    for (const p of PIPELINES) {
      const f = read(dir, p);
      expect(f).not.toMatch(/password\s*[:=]|token\s*[:=]|secret\s*[:=]/i);
      for (const m of f.matchAll(/credentialsId: ([^\s,)\]]+)/g)) expect(m[1]).toMatch(/^env\.\w+_CREDENTIALS_ID$/);
    }
  });

  it('hostile values stay Groovy string data, character for character', () => {
    const train = environment(read(hostileDir, 'train-model'));
    expect(train).toMatchObject({
      SCM_REPOSITORY: HOSTILE.scmRepository,
      SCM_BRANCH: HOSTILE.branch,
      SCM_CREDENTIALS_ID: HOSTILE.credentials,
      QUALITY_MIN: '',
      QUALITY_MAX: '0.999',
    });
    const build = environment(read(hostileDir, 'build-image'));
    expect(build).toMatchObject({ IMAGE_TAG: HOSTILE.tag, REGISTRY_CREDENTIALS_ID: HOSTILE.credentials });
    const deploy = read(hostileDir, 'deploy');
    expect(environment(deploy)).toMatchObject({ KUBE_CREDENTIALS_ID: HOSTILE.credentials });
    // comments carry user values as JSON (no line break can end the comment)
    expect(deploy).toContain(`// Credential ${JSON.stringify(HOSTILE.credentials)}:`);
    const body = JSON.parse(readFileSync(join(hostileDir, 'jenkins/build-image/smoke-request.json'), 'utf8'));
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['__proto__', 'a"b', '$z`${process.exit(1)}`']));
  });
});
