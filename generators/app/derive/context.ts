import { posix } from 'node:path';
import Handlebars from 'handlebars';
import { stringify as toYaml } from 'yaml';
import { IMAGE_UID, NODE_VERSION, SERVER_COMMAND } from '../dependencies.js';
import type { ServiceSpec } from '../spec/types.js';
import { exampleRow } from './json-schema.js';
import { groovyString, jsonValue, shellWord } from './quoting.js';

/** Everything a `.hbs` template may print. Templates print; they do not decide. */
export function templateContext(spec: ServiceSpec) {
  const example = exampleRow(spec);
  return {
    spec,
    name: spec.config.service.name,
    config: spec.config,
    nodeVersion: NODE_VERSION,
    /** The server's command line (exec form), as `npm start` runs it. */
    serverCommand: SERVER_COMMAND,
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
    /** docs/FEEDBACK.md: POST /feedback bodies for the curl examples. */
    feedback: feedbackContext(spec, example),
    /** docs/OIP.md: Open Inference Protocol (KServe V2) paths and infer bodies of the example row. */
    oip: oipContext(spec, example),
  };
}

/** OIP datatype of each feature type (as src/routes/v2/tensors.ts datatypeOf lists them in the model metadata). */
const OIP_DATATYPES = { number: 'FP32', integer: 'INT64', boolean: 'BOOL', string: 'BYTES', category: 'BYTES' } as const;

function exampleOutputs(spec: ServiceSpec) {
  if (spec.task === 'regression') return [{ name: 'value', datatype: 'FP32', shape: [1], data: [123.4] }];
  const classes = spec.classes ?? ['<class>', '<another class>'];
  const rest = classes.length > 1 ? Math.floor(100 / (classes.length - 1)) / 1000 : 0;
  const probabilities = classes.map((_, i) => (i === 0 ? Math.round((1 - rest * (classes.length - 1)) * 1000) / 1000 : rest));
  return [
    { name: 'label', datatype: 'BYTES', shape: [1], data: [classes[0]] },
    { name: 'probabilities', datatype: 'FP32', shape: [1, classes.length], data: probabilities },
  ];
}

/** Values docs/OIP.md prints: the model's paths and feature-per-input infer bodies (one input per feature). */
export function oipContext(spec: ServiceSpec, example: Record<string, unknown>) {
  const modelPath = `/v2/models/${encodeURIComponent(spec.config.model.name)}`;
  const inputs = (rows: number) =>
    spec.features.map((f) => ({
      name: f.name,
      datatype: OIP_DATATYPES[f.type],
      shape: [rows],
      data: new Array(rows).fill(example[f.name]),
    }));
  return {
    modelPath,
    readyPath: `${modelPath}/ready`,
    inferPath: `${modelPath}/infer`,
    /** One-line JSON: the example row as an inference request with an id. */
    inferBody: JSON.stringify({ id: 'example-1', inputs: inputs(1) }),
    /** One-line JSON: two rows (shape [2]), asking for the label only. */
    inferBatchBody: JSON.stringify({ inputs: inputs(2), outputs: [{ name: spec.task === 'classification' ? 'label' : 'value' }] }),
    /** The shape of an answer to inferBody (values made up), printed with the json helper. */
    exampleAnswer: { model_name: spec.config.model.name, model_version: '<model UUID>', id: 'example-1', outputs: exampleOutputs(spec) },
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
    /** The URL withDockerRegistry logs in to: config image.login_url, else derived (Docker Hub has its own). */
    registryUrl: image.login_url ?? (dockerHub ? 'https://index.docker.io/v1/' : `https://${image.registry}`),
    /** The Helm release the deploy pipeline installs: config kubernetes.deployment_name, else the service name. */
    releaseName: spec.config.kubernetes.deployment_name ?? spec.config.service.name,
    /** The chart's names (values.yaml); '' leaves a name to the chart: from the Helm release. */
    names: {
      fullnameOverride: spec.config.kubernetes.deployment_name ?? '',
      serviceName: spec.config.kubernetes.service_name ?? '',
      containerName: spec.config.kubernetes.container_name ?? '',
      appLabel: spec.config.kubernetes.app_label ?? '',
    },
    /** The body the build-image smoke test POSTs to /predict (config image.smoke_request, else the example row). */
    smokeRequest: spec.smokeRequest ?? JSON.stringify(exampleRow(spec)),
    workdir: CONTAINER_WORKDIR,
    /** values.yaml image.tag: config image.tag, but `latest` (a floating tag) gives way to the chart's appVersion. */
    chartImageTag: image.tag === 'latest' ? '' : image.tag,
    /** uid = gid of the image's runtime user (Dockerfile USER, chart securityContext). */
    uid: IMAGE_UID,
    /** Absolute path of the model bundle inside the image. */
    modelDir: posix.resolve(CONTAINER_WORKDIR, model.dir),
    configPath: posix.join(CONTAINER_WORKDIR, 'config.yaml'),
    /** What `npm run train` does in the image build: train, or pack the brought ONNX model. */
    modelStep: model.onnx_path
      ? `packs the brought ONNX model ${model.onnx_path} into the model bundle (config model.onnx_path)`
      : 'trains the model and fails the build when the quality gate of config.yaml is not met',
    /** The quality gate as `npm run train` applies it, as strings for the pipeline ('' = not set; no metric = no gate). */
    qualityGate: {
      metric: gate.metric ?? '',
      min: gate.min === undefined ? '' : String(gate.min),
      max: gate.max === undefined ? '' : String(gate.max),
    },
    /**
     * The pod's time after SIGTERM (chart terminationGracePeriodSeconds): the drain of
     * service.shutdown_grace_ms, the longest request (service.request_timeout_ms), the prediction
     * log's flush (logging.fluentd.flush_timeout_ms), and 5 s to close the model and exit.
     */
    terminationGracePeriodSeconds:
      Math.ceil(
        (spec.config.service.shutdown_grace_ms + spec.config.service.request_timeout_ms + spec.config.logging.fluentd.flush_timeout_ms) /
          1000,
      ) + 5,
    /** config.yaml as the `config:` block of the chart's values.yaml (carried by the ConfigMap). */
    helmConfigYaml: toYaml({ config: spec.config }).trimEnd(),
  };
}
export type TemplateContext = ReturnType<typeof templateContext>;

/** A Handlebars instance that never HTML-escapes and prints user values only through quoting helpers. */
export function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('json', jsonValue);
  hb.registerHelper('groovy', groovyString);
  hb.registerHelper('shell', shellWord);
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}

/** Values docs/FEEDBACK.md prints: one-line JSON bodies of POST /feedback and /predict for its curl examples. */
export function feedbackContext(spec: ServiceSpec, example: Record<string, unknown>) {
  const truth = spec.task === 'classification' ? { label: spec.classes?.[0] ?? '<class>' } : { value: 123.4 };
  const withId = (id: string | number) =>
    spec.idField
      ? Object.defineProperty({ ...example }, spec.idField, { value: id, enumerable: true, writable: true, configurable: true })
      : example;
  return {
    truthField: spec.task === 'classification' ? 'label' : 'value',
    /** A batch of two rows (the second with entity ID entity-43 when the service has an id_field). */
    predictBatchBody: JSON.stringify([withId('entity-42'), withId('entity-43')]),
    byRequest: JSON.stringify({ request_id: 'order-1001', ...truth, time: '2024-05-01T12:00:00Z' }),
    byRequestRow: JSON.stringify({ request_id: 'order-1002', row: 1, ...truth }),
    byEntity: spec.idField ? JSON.stringify({ entity_id: 'entity-43', ...truth }) : null,
    unknown: JSON.stringify({ request_id: 'no-such-request', ...truth }),
  };
}
