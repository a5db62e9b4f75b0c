// Migration from the Python template with its REAL files (test/fixtures/template-2020, see SOURCE.md):
// scaffold, render the chart with a real helm, and check image, names, labels, ports, replicas,
// NodePort, the smoke request, the training data and the warnings.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { legacyKeyTable, LEGACY_KEYS } from '../../generators/app/spec/legacy.js';
import { loadSpec, readSources } from '../../generators/app/spec/load.js';
import { findManifest, parseManifests, validateManifest, type Manifest } from '../helpers/kubernetes.js';
import { REPO_ROOT, scaffold } from '../helpers/scaffold.js';
import { requireHelm, run } from '../helpers/tools.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/template-2020/', import.meta.url));
const REPO = join(FIXTURES, 'repo');
const FEATURES = join(REPO, 'source/model/features.yaml');
const helm = (args: string[], cwd: string) => run(requireHelm(), args, cwd);

/** A copy of the template's repository with the root config.yaml of one version (and no split layout). */
function checkoutOf(version: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'mls-template-'));
  cpSync(join(REPO, 'tests'), join(dir, 'tests'), { recursive: true });
  cpSync(join(REPO, 'source'), join(dir, 'source'), { recursive: true });
  if (version === null) cpSync(REPO, dir, { recursive: true });
  else cpSync(join(FIXTURES, 'config-versions', `${version}.yaml`), join(dir, 'config.yaml'));
  return dir;
}

interface Migrated {
  dir: string;
  config: any;
  manifests: Manifest[];
  warnings: string[];
  release: string;
}

/** Scaffolds from the checkout as a user would (--features, --config), then `helm template <release>`. */
async function migrate(checkout: string, release: string): Promise<Migrated> {
  const configPath = join(checkout, 'config.yaml');
  const featuresPath = join(checkout, 'source/model/features.yaml');
  const { warnings } = loadSpec(readSources(featuresPath, configPath, 'iris-service'));
  const dir = await scaffold({
    dir: join(mkdtempSync(join(tmpdir(), 'mls-migrated-')), 'iris-service'),
    options: { features: featuresPath, config: configPath },
  });
  const config = parseYaml(readFileSync(join(dir, 'config.yaml'), 'utf8'));
  const chart = join('helm', config.service.name);
  const lint = helm(['lint', '--strict', chart], dir);
  expect(lint.status, lint.output).toBe(0);
  const t = helm(['template', release, chart], dir);
  expect(t.status, t.output).toBe(0);
  return { dir, config, manifests: parseManifests(t.stdout), warnings, release };
}

/** What every version of the template's Helm chart rendered from its own config (helm/templates/deployment.yaml). */
function expectTemplateObjects(m: Migrated, image: string) {
  const d = findManifest(m.manifests, 'Deployment');
  const s = findManifest(m.manifests, 'Service');
  expect(d.metadata.name).toBe('ml-microservice');
  expect(d.metadata.labels.app).toBe('ml-microservice');
  expect(d.spec.replicas).toBe(2);
  expect(d.spec.selector.matchLabels.app).toBe('ml-microservice');
  expect(d.spec.template.metadata.labels.app).toBe('ml-microservice');
  const [c] = d.spec.template.spec.containers;
  expect(c.name).toBe('ml-microservice');
  expect(c.image).toBe(image);
  expect(c.ports[0].containerPort).toBe(8000);
  expect(s.metadata.name).toBe('ml-service');
  expect(s.spec.type).toBe('NodePort');
  expect(s.spec.selector.app).toBe('ml-microservice');
  expect(s.spec.ports[0]).toMatchObject({ port: 8000, nodePort: 30000, targetPort: 'http' });
  // the helm test pod reaches the Service by its name
  const pod = findManifest(m.manifests, 'Pod');
  expect(JSON.stringify(pod.spec)).toContain('http://ml-service:8000');
}

describe('the split layout (config.yaml + config/build.yaml + config/env.sample, 2020-08)', () => {
  let m: Migrated;
  beforeAll(async () => {
    m = await migrate(checkoutOf(null), 'ml-microservice');
  });

  it('renders the objects the template deployed: image n02291/... on Docker Hub, names, app label, ports, NodePort', async () => {
    expectTemplateObjects(m, 'docker.io/n02291/ml_template_production:0.0.1');
    for (const manifest of m.manifests) await validateManifest(manifest);
  });

  it('the build pipeline logs in to the template registry URL and smoke-tests with prediction_test_case_path', () => {
    const build = readFileSync(join(m.dir, 'jenkins/build-image/Jenkinsfile'), 'utf8');
    expect(build).toContain("REGISTRY_URL = 'https://index.docker.io/v1/'");
    expect(build).toContain("REGISTRY_CREDENTIALS_ID = 'docker'");
    const smoke = JSON.parse(readFileSync(join(m.dir, 'jenkins/build-image/smoke-request.json'), 'utf8'));
    expect(smoke).toEqual(JSON.parse(readFileSync(join(REPO, 'tests/prediction/example_classification1.json'), 'utf8')));
    expect(m.config.image.smoke_request).toBe('jenkins/build-image/smoke-request.json');
    const deploy = readFileSync(join(m.dir, 'jenkins/deploy/Jenkinsfile'), 'utf8');
    expect(deploy).toContain("RELEASE = 'ml-microservice'");
  });

  it('config/env.sample: Fluentd off, tag prefix and fluentd_log_n_best -> model.top_n; the legacy API on', () => {
    expect(m.config.logging.fluentd).toMatchObject({
      enabled: false,
      host: 'localhost',
      port: 24224,
      tag_prefix: 'machine-learning-microservice-template',
    });
    expect(m.config.model.top_n).toBe(2);
    expect(m.config.service).toMatchObject({ port: 8000, legacy_api: true });
  });

  it("the template's example features get its example data: iris, label column species", () => {
    const data = readFileSync(join(m.dir, 'data/train.csv'), 'utf8');
    expect(data).toBe(readFileSync(join(REPO_ROOT, 'examples/iris/iris.csv'), 'utf8'));
    expect(parseYaml(readFileSync(join(m.dir, 'features.yaml'), 'utf8'))).toMatchObject({
      target: 'species',
      classes: ['setosa', 'versicolor', 'virginica'],
    });
  });

  it('one warning line for each key without effect, naming its file and what replaces it', () => {
    const ignored = [
      'enable_mongodb_logging',
      'mongo_db_name',
      'mongo_db_url',
      'mongo_db_port',
      'mongodb_logging_collection_name',
      'timezone',
    ].map((k) => `config/env.sample: ${k} `);
    ignored.push(
      ...[
        'github_project_name',
        'docker_runtime_image_name',
        'docker_runtime_image_tag',
        'docker_socket_path',
        'jenkins_ansible_vault_id',
        'k8s_image_name',
        'k8s_image_tag',
      ].map((k) => `config/build.yaml: ${k} `),
    );
    for (const start of ignored)
      expect(
        m.warnings.filter((w) => w.startsWith(start)),
        start,
      ).toHaveLength(1);
    expect(m.warnings.find((w) => w.startsWith('config/env.sample: mongo_db_url'))).toMatch(/MongoDB.*Fluentd/);
    expect(m.warnings.find((w) => w.startsWith('config/build.yaml: docker_socket_path'))).toMatch(/docker CLI/);
    expect(m.warnings.find((w) => w.includes('features.yaml: input_features are the template'))).toBeDefined();
  });

  it('re-running the generator in the migrated service keeps the smoke request and the chart', async () => {
    const files = ['jenkins/build-image/smoke-request.json', `helm/${m.config.service.name}/values.yaml`, 'config.yaml', 'features.yaml'];
    const before = files.map((f) => readFileSync(join(m.dir, f), 'utf8'));
    await scaffold({ dir: m.dir });
    expect(files.map((f) => readFileSync(join(m.dir, f), 'utf8'))).toEqual(before);
  });

  it('a release under another name gets its own names unless config.yaml names them', () => {
    const t = helm(
      ['template', 'canary', join('helm', m.config.service.name), '--set', 'fullnameOverride=,serviceName=,containerName='],
      m.dir,
    );
    expect(t.status, t.output).toBe(0);
    const ms = parseManifests(t.stdout);
    expect(findManifest(ms, 'Deployment').metadata.name).toBe('canary-iris-service');
    expect(findManifest(ms, 'Service').metadata.name).toBe('canary-iris-service');
    expect(findManifest(ms, 'Deployment').spec.selector.matchLabels).toMatchObject({
      'app.kubernetes.io/instance': 'canary',
      app: 'ml-microservice',
    });
  });
});

describe.each([
  ['1a4a64b-2020-06-01', 'docker.io/n02291/ml_template_production_env:0.0.1', { fluentd: true, topN: 2, id: 'ID' }],
  ['ea1fa2d-2020-05-06', 'docker.io/n02291/ml_template_production_env:0.0.1', { fluentd: false, topN: 3, id: null }],
  ['e69eddc-2020-04-15', 'docker.io/n02291/ml_template_production_env:0.0.1', { fluentd: false, topN: 3, id: null }],
])('the root config.yaml of %s', (version, image, expected) => {
  let m: Migrated;
  beforeAll(async () => {
    m = await migrate(checkoutOf(version), 'ml-microservice');
  });

  it('renders the objects the template deployed', () => {
    expectTemplateObjects(m, image);
    expect(m.config.logging.fluentd.enabled).toBe(expected.fluentd);
    expect(m.config.model.top_n).toBe(expected.topN);
    const features = parseYaml(readFileSync(join(m.dir, 'features.yaml'), 'utf8'));
    expect(features.id_field ?? null).toBe(expected.id);
  });

  it('model_name model.pkl: one warning saying a pickle cannot be served and how to export ONNX', () => {
    const pkl = m.warnings.filter((w) => w.includes('model_name "model.pkl"'));
    expect(pkl).toHaveLength(1);
    expect(pkl[0]).toMatch(/cannot load.*skl2onnx.*to_onnx.*model\.onnx_path/);
  });

  it('keys without effect get one warning each; none is refused', () => {
    const raw = parseYaml(readFileSync(join(FIXTURES, 'config-versions', `${version}.yaml`), 'utf8'));
    const ignored = legacyKeyTable()
      .filter((k) => k.ignored)
      .map((k) => k.key)
      .filter((k) => k in raw);
    expect(ignored.length).toBeGreaterThan(3);
    for (const key of ignored)
      expect(
        m.warnings.filter((w) => w.startsWith(`config.yaml: ${key} has no effect`)),
        key,
      ).toHaveLength(1);
    for (const key of Object.keys(raw)) expect(LEGACY_KEYS).toContain(key);
  });
});

describe('legacy features other than the template example', () => {
  it('keep synthetic data, and the output says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mls-other-'));
    writeFileSync(join(dir, 'features.yaml'), 'input_features: [age, income]\n');
    cpSync(join(FIXTURES, 'config-versions/1a4a64b-2020-06-01.yaml'), join(dir, 'config.yaml'));
    const { spec, warnings } = loadSpec(readSources(join(dir, 'features.yaml'), join(dir, 'config.yaml'), 'svc'));
    expect(spec.exampleData).toBeNull();
    expect(spec.target).toBe('target');
    expect(warnings.filter((w) => /synthetic rows/.test(w))).toHaveLength(1);
    const out = await scaffold({ options: { features: join(dir, 'features.yaml'), config: join(dir, 'config.yaml') } });
    expect(readFileSync(join(out, 'data/train.csv'), 'utf8').split('\n')[0]).toBe('age,income,target');
  });
});

describe('the legacy key table', () => {
  it('every key of every fixture version is understood, mapped or warned', () => {
    const files = [
      'config-versions/1a4a64b-2020-06-01.yaml',
      'config-versions/ea1fa2d-2020-05-06.yaml',
      'config-versions/e69eddc-2020-04-15.yaml',
      'repo/config/build.yaml',
    ];
    for (const f of files)
      for (const key of Object.keys(parseYaml(readFileSync(join(FIXTURES, f), 'utf8')))) expect(LEGACY_KEYS, `${f}: ${key}`).toContain(key);
    for (const line of readFileSync(join(REPO, 'config/env.sample'), 'utf8').split('\n')) {
      const key = /^([A-Za-z_]+)\s*[=:]/.exec(line)?.[1];
      if (key) expect(LEGACY_KEYS, `env.sample: ${key}`).toContain(key);
    }
  });

  it('the README lists every legacy key', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const key of LEGACY_KEYS) expect(readme, key).toContain(`\`${key}\``);
  });
});

describe('image references are checked at generation', () => {
  const load = (config: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'mls-ref-'));
    cpSync(FEATURES, join(dir, 'features.yaml'));
    writeFileSync(join(dir, 'config.yaml'), config);
    return () => loadSpec(readSources(join(dir, 'features.yaml'), join(dir, 'config.yaml'), 'svc'));
  };
  const problems = (config: string): string[] => {
    try {
      load(config)();
    } catch (e) {
      return (e as { problems: { path: string; message: string }[] }).problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  };

  it('legacy: a registry that is a URL path and an upper-case name name their own keys', () => {
    const found = problems(
      'repository: Team\nregistry: https://registry.example.com/v2/\nproduction_image_name: iris\nproduction_image_tag: "-bad"\n',
    );
    expect(found.join('\n')).toMatch(
      /^repository \+ production_image_name \(image\.repository in the native format\): "Team\/iris" makes the image reference .* invalid: repository name must be lowercase/m,
    );
    expect(found.join('\n')).toMatch(/^production_image_tag \(image\.tag in the native format\): "-bad"/m);
  });

  it('legacy: a registry login URL with a path gives the host', () => {
    expect(problems('registry: https://registry.example.com:5000/v2/\nproduction_image_name: iris\n')).toEqual([]);
  });

  it('native: each bad part is named by its key', () => {
    const found = problems('image:\n  registry: https://index.docker.io/v1/\n  repository: ml/Iris\n  tag: "a b"\n');
    expect(found.map((p) => p.split(':')[0])).toEqual(['image.registry', 'image.repository', 'image.tag']);
    expect(found[0]).toMatch(/host name with an optional :port/);
  });

  it('native: an unknown key lists the keys its section allows', () => {
    const [p] = problems('kubernetes:\n  service:\n    kind: NodePort\n');
    expect(p).toBe(
      'kubernetes.service.kind: unknown key. Fix: remove it or use one of the keys kubernetes.service allows: type, port, node_port (see the README\'s "config.yaml" reference).',
    );
  });
});
