import type { FeaturesFile } from './features-schema.js';

// The Python template (github.com/FlorianBorn/machine-learning-microservice-template, 2020): its root
// config.yaml (every version), the later split layout config/build.yaml (docker_*, k8s_*, jenkins_*)
// and config/env.sample (run-time variables). Each key is mapped by what the template's Jenkinsfiles,
// Helm chart and Python code did with it; keys with no counterpart are accepted with one warning.

type Mapped = { to: string };
type Ignored = { ignored: string };
/** Keys whose value is read by a special step of migrateLegacyConfig (image reference, registry, ID). */
type Special = { special: string };
type Rule = Mapped | Ignored | Special;

const MONGO =
  'has no effect: the template logged predictions to MongoDB; this service logs each prediction to stdout and, with logging.fluentd.enabled, to Fluentd (EFK), and has no MongoDB logger.';
const RUNTIME_IMAGE =
  'has no effect: the template ran its Jenkins stages inside this Python runtime image; the generated pipelines run npm on the Jenkins agent (Node) and build the service image from the Dockerfile.';
const SOCKET =
  "has no effect: the template mounted the Docker socket into its runtime image for the image test; the generated build-image pipeline calls the agent's docker CLI directly.";
const GITHUB =
  "has no effect: the template pushed retrained models to github.com/<credentials user>/<this name>; set scm.repository to the repository's clone URL (the pipelines check out from it).";
const K8S_IMAGE =
  "has no effect: the template's own chart never read it (its Deployment ran repository/production_image_name:production_image_tag); the image is image.registry/image.repository:image.tag.";
const VAULT =
  'has no effect: the template decrypted config/env.sample with this ansible-vault credential; the service reads config.yaml (a ConfigMap in the chart) and MLS_* environment variables: keep secrets in Kubernetes Secrets or Jenkins credentials.';
const TIMEZONE = 'has no effect: the template stamped MongoDB records in this time zone; prediction records carry ISO-8601 UTC timestamps.';

const rules = {
  // general / docker
  repository: {
    special:
      'the Docker Hub namespace (or registry path) the image is pushed under: image.repository = <repository>/<production_image_name>',
  },
  registry: {
    special:
      'the registry login URL (Jenkins withDockerRegistry): image.login_url, and its host image.registry (https://index.docker.io/v1/ is Docker Hub, docker.io)',
  },
  production_image_name: { special: 'the image name: image.repository = <repository>/<production_image_name>' },
  production_image_tag: { to: 'image.tag' },
  runtime_image_name: { ignored: RUNTIME_IMAGE },
  runtime_image_tag: { ignored: RUNTIME_IMAGE },
  docker_socket_path: { ignored: SOCKET },
  model_path: { to: 'model.dir' },
  model_name: { special: 'the model file; model.name is taken from it without the extension' },
  github_project_name: { ignored: GITHUB },
  prediction_test_case_path: { to: 'image.smoke_request' },
  // Jenkins
  docker_credentials_id: { to: 'image.credentials_id' },
  scm_credentials_id: { to: 'scm.credentials_id' },
  // Helm
  deployment_name: { to: 'kubernetes.deployment_name' },
  deployment_label: { to: 'kubernetes.app_label' },
  container_name: { to: 'kubernetes.container_name' },
  image_name: { ignored: K8S_IMAGE },
  image_tag: { ignored: K8S_IMAGE },
  container_port: { to: 'service.port' },
  replicas: { to: 'kubernetes.replicas' },
  service_name: { to: 'kubernetes.service_name' },
  service_type: { to: 'kubernetes.service.type' },
  service_port: { to: 'kubernetes.service.port' },
  service_node_port: { to: 'kubernetes.service.node_port' },
  // logging: MongoDB (every spelling of every version)
  enable_logging: { ignored: MONGO },
  enable_mongodb_logging: { ignored: MONGO },
  db_url: { ignored: MONGO },
  db_port: { ignored: MONGO },
  mongo_db_name: { ignored: MONGO },
  mongo_db_url: { ignored: MONGO },
  mongo_db_port: { ignored: MONGO },
  logging_collection_name: { ignored: MONGO },
  mongodb_logging_collection_name: { ignored: MONGO },
  timezone: { ignored: TIMEZONE },
  // logging: EFK
  enable_fluentd_logging: { to: 'logging.fluentd.enabled' },
  fluentd_url: { to: 'logging.fluentd.host' },
  fluentd_port: { to: 'logging.fluentd.port' },
  fluentd_base_log_name: { to: 'logging.fluentd.tag_prefix' },
  log_n_best: { to: 'model.top_n' },
  fluentd_log_n_best: { to: 'model.top_n' },
  // API
  ID_NAME: { special: 'the optional entity-ID field of each request row: features.yaml id_field' },
} satisfies Record<string, Rule>;

/** config/build.yaml of the split layout: the same keys with a prefix (and one misspelt one). */
const SPLIT_ALIASES: Record<string, keyof typeof rules> = {
  github_project_name: 'github_project_name',
  docker_repository: 'repository',
  docker_registry: 'registry',
  docker_runtime_image_name: 'runtime_image_name',
  docker_runtime_image_tag: 'runtime_image_tag',
  docker_production_image_name: 'production_image_name',
  docker_production_image_tag: 'production_image_tag',
  jenkins_docker_credentials_id: 'docker_credentials_id',
  jenkind_scm_credentials_id: 'scm_credentials_id',
  jenkins_scm_credentials_id: 'scm_credentials_id',
  k8s_deployment_name: 'deployment_name',
  k8s_deployment_label: 'deployment_label',
  k8s_container_name: 'container_name',
  k8s_image_name: 'image_name',
  k8s_image_tag: 'image_tag',
  k8s_container_port: 'container_port',
  k8s_replicas: 'replicas',
  k8s_service_name: 'service_name',
  k8s_service_type: 'service_type',
  k8s_service_port: 'service_port',
  k8s_service_node_port: 'service_node_port',
};
const EXTRA_RULES: Record<string, Rule> = { jenkins_ansible_vault_id: { ignored: VAULT } };

const ruleOf = (key: string): Rule | undefined =>
  (rules as Record<string, Rule>)[key] ?? (SPLIT_ALIASES[key] ? rules[SPLIT_ALIASES[key]] : EXTRA_RULES[key]);

/** Every legacy key this generator understands (for error messages and the README). */
export const LEGACY_KEYS: readonly string[] = [
  ...Object.keys(rules),
  ...Object.keys(SPLIT_ALIASES).filter((k) => !(k in rules)),
  ...Object.keys(EXTRA_RULES),
];

/** Where each legacy key lands, or why it is ignored: one line per key (README table, tests). */
export function legacyKeyTable(): { key: string; mapped?: string; ignored?: string }[] {
  return LEGACY_KEYS.map((key) => {
    const rule = ruleOf(key)!;
    if ('to' in rule) return { key, mapped: rule.to };
    if ('special' in rule) return { key, mapped: rule.special };
    return { key, ignored: rule.ignored };
  });
}

export const isLegacyConfig = (raw: Record<string, unknown>): boolean => Object.keys(raw).some((k) => ruleOf(k) !== undefined);

/** The Python template wrote booleans and numbers as strings ("True", "8080"); take them as meant. */
function coerce(native: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^(true|false)$/i.test(value.trim()) && native.endsWith('enabled')) return value.trim().toLowerCase() === 'true';
  if (/^\d+$/.test(value.trim()) && /(port|replicas|top_n)$/.test(native)) return Number(value.trim());
  return value;
}

const dnsFrom = (s: string) =>
  s
    .replace(/\.[A-Za-z0-9]+$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 53) || 'model';

const DOCKER_HUB_LOGIN = /^(https?:\/\/)?(index\.)?docker\.io(\/v1)?\/?$/i;

/** The template's registry value is a login URL (`https://index.docker.io/v1/`); the image needs its host. */
function registryHost(value: string): string {
  if (DOCKER_HUB_LOGIN.test(value.trim())) return 'docker.io';
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/]+)/i.exec(value.trim());
  return m ? m[1]!.toLowerCase() : value;
}

export interface LegacyMigration {
  config: Record<string, any>;
  idField?: string;
  warnings: string[];
  /** native key -> the legacy key(s) it came from, for error messages. */
  origin: Map<string, string>;
}

/**
 * Moves each legacy key to its native place. `fileOf` names the file a key was read from (the root
 * config.yaml, config/build.yaml or config/env.sample) for the warnings.
 */
export function migrateLegacyConfig(raw: Record<string, unknown>, fileOf: (key: string) => string = () => 'config.yaml'): LegacyMigration {
  const config: Record<string, any> = {};
  const warnings: string[] = [];
  const origin = new Map<string, string>();
  const set = (target: string, value: unknown, from: string) => {
    const parts = target.split('.');
    let node = config;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts.at(-1)!] = value;
    origin.set(target, from);
  };
  const given = new Map<keyof typeof rules, { key: string; value: unknown }>();
  let idField: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    const rule = ruleOf(key);
    if (!rule) {
      // Unknown keys go through untouched so that validation reports them by their own name.
      config[key] = value;
      continue;
    }
    const at = `${fileOf(key)}: ${key}`;
    if ('ignored' in rule) {
      warnings.push(`${at} ${rule.ignored}`);
      continue;
    }
    if (value === null || value === '') continue;
    const canonical = (key in rules ? key : SPLIT_ALIASES[key]) as keyof typeof rules;
    if ('special' in rule) {
      given.set(canonical, { key, value });
      continue;
    }
    if (rule.to === 'model.top_n' && origin.has('model.top_n')) continue;
    let v = coerce(rule.to, value);
    if (rule.to === 'model.dir' && typeof v === 'string') v = v.replace(/\/+$/, '') || '.';
    set(rule.to, v, key);
  }

  const text = (k: keyof typeof rules) => {
    const g = given.get(k);
    return g === undefined ? undefined : { key: g.key, value: String(g.value).trim() };
  };
  const repo = text('repository');
  const name = text('production_image_name');
  if (name)
    set(
      'image.repository',
      repo ? `${repo.value.replace(/\/+$/, '')}/${name.value}` : name.value,
      repo ? `${repo.key} + ${name.key}` : name.key,
    );
  else if (repo)
    warnings.push(
      `${fileOf(repo.key)}: ${repo.key} (the image's namespace) is used with production_image_name only, which is not set: image.repository defaults to the service name.`,
    );
  const registry = text('registry');
  if (registry) {
    set('image.registry', registryHost(registry.value), registry.key);
    set('image.login_url', registry.value, registry.key);
  }
  const id = text('ID_NAME');
  if (id) idField = id.value;
  const model = text('model_name');
  if (model) {
    const dns = dnsFrom(model.value);
    if (/\.(pkl|pickle|joblib|sav)$/i.test(model.value))
      warnings.push(
        `${fileOf(model.key)}: ${model.key} ${JSON.stringify(model.value)} is a pickled Python model, which this service cannot load: \`npm run train\` trains an ONNX model instead (model.name "${dns}"). To keep your trained model, export it to ONNX in Python (skl2onnx: \`onnx = to_onnx(model, X[:1].astype(numpy.float32)); open("model.onnx", "wb").write(onnx.SerializeToString())\`) and set model.onnx_path: model.onnx in config.yaml to serve it.`,
      );
    else if (dns !== model.value)
      warnings.push(
        `${fileOf(model.key)}: ${model.key} ${JSON.stringify(model.value)} becomes model.name "${dns}" (the model file is always model.onnx in the bundle).`,
      );
    set('model.name', dns, model.key);
  }
  // The template's clients call /api/predictions, /api/proba_predictions and /ping.
  set('service.legacy_api', true, 'the legacy format');
  origin.delete('service.legacy_api');
  return { config, idField, warnings, origin };
}

/** The template's own example (source/model/features.yaml): the iris measurements, label column `species`. */
export const TEMPLATE_EXAMPLE_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

export const isTemplateExample = (names: string[]): boolean =>
  names.length === TEMPLATE_EXAMPLE_FEATURES.length && names.every((n, i) => n === TEMPLATE_EXAMPLE_FEATURES[i]);

/**
 * `input_features: [a, b]` -> every feature numeric and required, task classification. The
 * template's own example keeps its meaning: the iris label column `species` (and, with the
 * shipped iris data, its three classes).
 */
export function migrateLegacyFeatures(names: string[], idField: string | undefined): FeaturesFile {
  const iris = isTemplateExample(names);
  return {
    task: 'classification',
    target: iris ? 'species' : 'target',
    ...(iris ? { classes: ['setosa', 'versicolor', 'virginica'] } : {}),
    ...(idField ? { id_field: idField } : {}),
    features: names.map((name) => ({ name, type: 'number' as const })),
  };
}
