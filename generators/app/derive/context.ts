import { posix } from 'node:path';
import Handlebars from 'handlebars';
import { stringify as toYaml } from 'yaml';
import { NODE_VERSION } from '../dependencies.js';
import type { ServiceSpec } from '../spec/types.js';
import { exampleRow } from './json-schema.js';

/** Everything a `.hbs` template may print. Templates print; they do not decide. */
export function templateContext(spec: ServiceSpec) {
  const example = exampleRow(spec);
  return {
    spec,
    name: spec.config.service.name,
    config: spec.config,
    nodeVersion: NODE_VERSION,
    exampleRow: example,
    /** One-line JSON of a valid /predict body, for curl examples and smoke tests. */
    exampleBody: JSON.stringify(example),
    isClassification: spec.task === 'classification',
    fluentdEnabled: spec.config.logging.fluentd.enabled,
    /** efk/: Elasticsearch index names must be lower case; daily indices are `<indexPrefix>-YYYYMMDD`. */
    efk: {
      indexPrefix: spec.config.logging.fluentd.tag_prefix.toLowerCase(),
      indexPattern: `${spec.config.logging.fluentd.tag_prefix.toLowerCase()}-*`,
    },
    deploy: deployContext(spec),
  };
}

/** The container's working directory (Dockerfile WORKDIR); relative config paths resolve from it. */
export const CONTAINER_WORKDIR = '/app';

/** Values the Dockerfile, the Jenkins pipelines and the Helm chart print (computed here, not in templates). */
export function deployContext(spec: ServiceSpec) {
  const { image, model } = spec.config;
  const gate = model.quality_gate;
  const dockerHub = ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(image.registry);
  return {
    /** registry/repository, without tag. */
    imageName: `${image.registry}/${image.repository}`,
    /** registry/repository:tag with the tag of config.yaml. */
    imageRef: `${image.registry}/${image.repository}:${image.tag}`,
    /** The chart's folder in the service. */
    chartPath: `helm/${spec.config.service.name}`,
    /** The URL withDockerRegistry logs in to (Docker Hub has its own). */
    registryUrl: dockerHub ? 'https://index.docker.io/v1/' : `https://${image.registry}`,
    workdir: CONTAINER_WORKDIR,
    /** Absolute path of the model bundle inside the image. */
    modelDir: posix.resolve(CONTAINER_WORKDIR, model.dir),
    configPath: posix.join(CONTAINER_WORKDIR, 'config.yaml'),
    /** What `npm run train` does in the image build: train, or pack the brought ONNX model. */
    modelStep: model.onnx_path ? `packs the brought ONNX model ${model.onnx_path} into the model bundle (config model.onnx_path)` : 'trains the model and fails the build when the quality gate of config.yaml is not met',
    /** The quality gate as `npm run train` applies it, as strings for the pipeline ('' = not set; no metric = no gate). */
    qualityGate: {
      metric: gate.metric ?? '',
      min: gate.min === undefined ? '' : String(gate.min),
      max: gate.max === undefined ? '' : String(gate.max),
    },
    /** config.yaml as the `config:` block of the chart's values.yaml (carried by the ConfigMap). */
    helmConfigYaml: toYaml({ config: spec.config }).trimEnd(),
  };
}
export type TemplateContext = ReturnType<typeof templateContext>;

/** A Handlebars instance that never HTML-escapes and prints user values only through quoting helpers. */
export function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  /** Any value as JSON: a safe JS/TS literal, and also a valid YAML scalar or flow collection. */
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
  /** A single-quoted Groovy string literal (no interpolation). */
  hb.registerHelper('groovy', (value: unknown) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`);
  /** A shell word in single quotes. */
  hb.registerHelper('shell', (value: unknown) => `'${String(value).replace(/'/g, `'\\''`)}'`);
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}
