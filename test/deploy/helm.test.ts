// The generated Helm chart, checked with a real helm (scripts/install-tools.sh) and kubernetes-models.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { IMAGE_UID } from '../../generators/app/dependencies.js';
import { findManifest, parseManifests, validateManifest, type Manifest } from '../helpers/kubernetes.js';
import { scaffold } from '../helpers/scaffold.js';
import { requireHelm, run } from '../helpers/tools.js';

const helm = (args: string[], cwd: string) => run(requireHelm(), args, cwd);

/** Every optional part switched on: ingress, autoscaling, NodePort with a fixed port, Fluentd. */
export const ALL_ON_CONFIG = `
service:
  name: iris-all-on
  port: 9090
  description: All optional deployment parts on
model:
  dir: bundle/current
image:
  registry: registry.internal:5000
  repository: team/iris
  tag: "2.3.4"
  credentials_id: registry-push
logging:
  level: debug
  fluentd:
    enabled: true
    host: fluentd.logging.svc.cluster.local
    port: 24225
    transport: pino-fluentd
    encoding: msgpack
kubernetes:
  namespace: ml-prod
  deployment_name: iris-api
  credentials_id: kube-prod
  replicas: 3
  service:
    type: NodePort
    port: 8000
    node_port: 30080
  resources:
    cpu_request: 250m
    memory_request: 300Mi
    cpu_limit: "2"
    memory_limit: 1Gi
  ingress:
    enabled: true
    host: iris.example.com
    class_name: nginx
  autoscaling:
    enabled: true
    min_replicas: 2
    max_replicas: 7
    target_cpu_percent: 65
`;

interface Rendered {
  dir: string;
  chart: string;
  config: any;
  manifests: Manifest[];
}

/** The release the deploy pipeline installs: kubernetes.deployment_name, else the service name. */
const releaseOf = (config: any): string => config.kubernetes.deployment_name ?? config.service.name;

async function render(options: { config?: string; features?: string }, extraArgs: string[] = []): Promise<Rendered> {
  const dir = await scaffold(options);
  const config = parseYaml(readFileSync(join(dir, 'config.yaml'), 'utf8'));
  const chart = join('helm', config.service.name);
  const lint = helm(['lint', '--strict', chart], dir);
  expect(lint.status, lint.output).toBe(0);
  expect(lint.stdout).toContain('0 chart(s) failed');
  const template = helm(['template', releaseOf(config), chart, '--namespace', config.kubernetes.namespace, ...extraArgs], dir);
  expect(template.status, template.output).toBe(0);
  return { dir, chart, config, manifests: parseManifests(template.stdout) };
}

/**
 * NOTES.txt as `helm install` would print it. `helm install --dry-run` needs a reachable cluster, so a copy of
 * the chart renders it through `tpl` into a throw-away template instead.
 */
function renderNotes(dir: string, chart: string, release: string, namespace: string, extraArgs: string[] = []): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'mlservice-notes-')), 'chart');
  cpSync(join(dir, chart), copy, { recursive: true });
  cpSync(join(copy, 'templates/NOTES.txt'), join(copy, 'notes.tpl'));
  writeFileSync(join(copy, 'templates/zz-notes.yaml'), 'notes: {{ tpl (.Files.Get "notes.tpl") . | toJson }}\n');
  const t = helm(['template', release, copy, '--namespace', namespace, '--show-only', 'templates/zz-notes.yaml', ...extraArgs], dir);
  expect(t.status, t.output).toBe(0);
  return parseYaml(t.stdout).notes;
}

function container(deployment: Manifest) {
  expect(deployment.spec.template.spec.containers).toHaveLength(1);
  return deployment.spec.template.spec.containers[0];
}

const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

describe('Helm chart with the iris defaults', () => {
  let r: Rendered;
  beforeAll(async () => {
    r = await render({});
  });

  it('renders only the default objects, each valid for its kind', async () => {
    expect(r.manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const m of r.manifests) await validateManifest(m);
  });

  it('Chart.yaml and values.yaml are generated from config.yaml', () => {
    const chart = parseYaml(readFileSync(join(r.dir, r.chart, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({
      apiVersion: 'v2',
      name: 'iris-service',
      version: r.config.service.version,
      appVersion: r.config.service.version,
      description: r.config.service.description,
    });
    const values = parseYaml(readFileSync(join(r.dir, r.chart, 'values.yaml'), 'utf8'));
    expect(values.config).toEqual(r.config);
    // config image.tag `latest` gives way to the chart's appVersion
    expect(r.config.image.tag).toBe('latest');
    expect(values.image).toMatchObject({ repository: 'registry.example.com/ml/iris-service', tag: '' });
  });

  it('the Deployment carries the image, replicas, port and probes of config.yaml', () => {
    const d = findManifest(r.manifests, 'Deployment');
    expect(d.metadata.name).toBe(releaseOf(r.config));
    expect(d.spec.replicas).toBe(r.config.kubernetes.replicas);
    expect(d.spec.replicas).toBe(2);
    const c = container(d);
    expect(c.image).toBe(`${r.config.image.registry}/${r.config.image.repository}:${r.config.service.version}`);
    expect(c.ports).toEqual([{ name: 'http', containerPort: r.config.service.port, protocol: 'TCP' }]);
    expect(c.startupProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(c.resources).toEqual({
      requests: {
        cpu: r.config.kubernetes.resources.cpu_request,
        memory: r.config.kubernetes.resources.memory_request,
        'ephemeral-storage': '128Mi',
      },
      limits: {
        cpu: r.config.kubernetes.resources.cpu_limit,
        memory: r.config.kubernetes.resources.memory_limit,
        'ephemeral-storage': '512Mi',
      },
    });
    expect(envOf(c)).toEqual({
      CONFIG_PATH: '/etc/mlservice/config.yaml',
      PORT: String(r.config.service.port),
      LOG_LEVEL: r.config.logging.level,
      MLS_MODEL_DIR: '/app/model_bin',
      MLS_LOGGING_FLUENTD_ENABLED: 'false',
      MLS_LOGGING_FLUENTD_HOST: r.config.logging.fluentd.host,
      MLS_LOGGING_FLUENTD_PORT: String(r.config.logging.fluentd.port),
      MLS_LOGGING_FLUENTD_TRANSPORT: 'forward',
      MLS_LOGGING_FLUENTD_ENCODING: 'json',
      MLS_METRICS_ENABLED: 'true',
    });
  });

  it('runs locked down: non-root, read-only root filesystem with a writable /tmp, no capabilities', () => {
    const d = findManifest(r.manifests, 'Deployment');
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, fsGroup: IMAGE_UID });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = container(d);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'config', mountPath: '/etc/mlservice', readOnly: true },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'config', configMap: { name: 'iris-service' } },
      ]),
    );
  });

  it('the ConfigMap carries config.yaml, and the pods roll when it changes', () => {
    const cm = findManifest(r.manifests, 'ConfigMap');
    expect(parseYaml(cm.data!['config.yaml']!)).toEqual(r.config);
    const d = findManifest(r.manifests, 'Deployment');
    expect(d.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the Service exposes the named http port with the type and port of config.yaml', () => {
    const s = findManifest(r.manifests, 'Service');
    expect(s.spec.type).toBe('ClusterIP');
    expect(s.spec.ports).toEqual([{ name: 'http', port: r.config.kubernetes.service.port, targetPort: 'http', protocol: 'TCP' }]);
    expect(s.spec.selector).toEqual(findManifest(r.manifests, 'Deployment').spec.selector.matchLabels);
  });

  it('helm test pod calls /health/ready and POSTs the example through the Service', () => {
    const pod = findManifest(r.manifests, 'Pod');
    expect(pod.metadata.annotations!['helm.sh/hook']).toBe('test');
    const c = pod.spec.containers[0];
    expect(c.command.join('\n')).toContain('/health/ready');
    expect(envOf(c).BASE_URL).toBe(`http://iris-service:${r.config.kubernetes.service.port}`);
    expect(JSON.parse(envOf(c).EXAMPLE_REQUEST)).toMatchObject({ sepal_length: 5.1 });
  });

  it('NOTES.txt prints real commands for the release', () => {
    const notes = renderNotes(r.dir, r.chart, 'iris-service', 'ml-services');
    expect(notes).toContain('kubectl --namespace ml-services rollout status deployment/iris-service');
    expect(notes).toContain('port-forward service/iris-service 8080:80');
    expect(notes).toContain(`--data '{"sepal_length":5.1`);
    expect(notes).toContain('helm test iris-service --namespace ml-services --logs');
  });

  it('names come from the release when config.yaml names none', () => {
    const t = helm(['template', 'other', r.chart], r.dir);
    expect(t.status, t.output).toBe(0);
    const ms = parseManifests(t.stdout);
    expect(findManifest(ms, 'Deployment').metadata.name).toBe('other-iris-service');
    expect(findManifest(ms, 'Service').metadata.name).toBe('other-iris-service');
    expect(findManifest(ms, 'Deployment').spec.template.spec.containers[0].name).toBe('iris-service');
  });
});

describe('Helm chart with every optional part on (ingress, autoscaling, NodePort, Fluentd)', () => {
  let r: Rendered;
  beforeAll(async () => {
    r = await render({ config: ALL_ON_CONFIG });
  });

  it('renders Ingress and HorizontalPodAutoscaler too, each object valid for its kind', async () => {
    expect(r.manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const m of r.manifests) await validateManifest(m);
    for (const m of r.manifests) expect(m.metadata.name).toMatch(/^iris-api/);
  });

  it('the Deployment follows config.yaml: image, port, probes, Fluentd env; replicas left to the HPA', () => {
    const d = findManifest(r.manifests, 'Deployment');
    expect(d.metadata.name).toBe('iris-api');
    expect(d.spec.replicas).toBeUndefined();
    const c = container(d);
    expect(c.image).toBe('registry.internal:5000/team/iris:2.3.4');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet.port).toBe('http');
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '300Mi', 'ephemeral-storage': '128Mi' },
      limits: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '512Mi' },
    });
    expect(envOf(c)).toMatchObject({
      PORT: '9090',
      LOG_LEVEL: 'debug',
      MLS_MODEL_DIR: '/app/bundle/current',
      MLS_LOGGING_FLUENTD_ENABLED: 'true',
      MLS_LOGGING_FLUENTD_HOST: 'fluentd.logging.svc.cluster.local',
      MLS_LOGGING_FLUENTD_PORT: '24225',
      MLS_LOGGING_FLUENTD_TRANSPORT: 'pino-fluentd',
      MLS_LOGGING_FLUENTD_ENCODING: 'msgpack',
    });
  });

  it('the Service is a NodePort on the fixed node port', () => {
    const s = findManifest(r.manifests, 'Service');
    expect(s.spec.type).toBe('NodePort');
    expect(s.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }]);
  });

  it('the Ingress routes the host to the http port, with the class of config.yaml', () => {
    const i = findManifest(r.manifests, 'Ingress');
    expect(i.spec.ingressClassName).toBe('nginx');
    expect(i.spec.rules).toEqual([
      {
        host: 'iris.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'iris-api', port: { name: 'http' } } } }] },
      },
    ]);
  });

  it('the HPA scales the Deployment between the bounds of config.yaml', () => {
    const h = findManifest(r.manifests, 'HorizontalPodAutoscaler');
    expect(h.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'iris-api' }, minReplicas: 2, maxReplicas: 7 });
    expect(h.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } });
  });

  it('NOTES.txt gives the ingress URL', () => {
    expect(renderNotes(r.dir, r.chart, 'iris-api', 'ml-prod')).toContain('export SERVICE_URL=http://iris.example.com');
  });

  it('a NodePort without ingress prints the node port commands', () => {
    expect(renderNotes(r.dir, r.chart, 'iris-api', 'ml-prod', ['--set', 'ingress.enabled=false'])).toContain(
      '-o jsonpath="{.spec.ports[0].nodePort}" services iris-api',
    );
  });
});

describe('Helm chart with hostile values', () => {
  it('a description with quotes and newlines, an odd training path and a hostile features file still lint and render', async () => {
    const config = `
service:
  name: hostile-chart
  description: "A \\"quoted\\" description: with 'single' quotes, {{ .Values }}, #hash, $dollars\\nand a second line"
model:
  dir: "models/it's here"
image:
  repository: "ml/hostile"
  tag: "1.0.0-rc.1"
logging:
  fluentd:
    host: "fluentd # not a comment"
`;
    const features = readFileSync(new URL('../fixtures/hostile/features.yaml', import.meta.url), 'utf8');
    const r = await render({ config, features });
    for (const m of r.manifests) await validateManifest(m);
    const chart = parseYaml(readFileSync(join(r.dir, r.chart, 'Chart.yaml'), 'utf8'));
    expect(chart.description).toBe(`A "quoted" description: with 'single' quotes, {{ .Values }}, #hash, $dollars\nand a second line`);
    const c = container(findManifest(r.manifests, 'Deployment'));
    expect(envOf(c).MLS_MODEL_DIR).toBe("/app/models/it's here");
    expect(envOf(c).MLS_LOGGING_FLUENTD_HOST).toBe('fluentd # not a comment');
    const pod = findManifest(r.manifests, 'Pod');
    const example = JSON.parse(envOf(pod.spec.containers[0]).EXAMPLE_REQUEST);
    expect(Object.keys(example)).toEqual(expect.arrayContaining(['__proto__', 'a"b', '$z`${process.exit(1)}`']));
    expect(parseYaml(findManifest(r.manifests, 'ConfigMap').data!['config.yaml']!)).toEqual(r.config);
    // the curl command of NOTES.txt passes the hostile example to the shell intact
    const notes = renderNotes(r.dir, r.chart, 'hostile-chart', 'default');
    const curl = notes.split('\n').find((line) => line.includes('/predict'))!;
    const data = curl.slice(curl.indexOf('--data ') + 7, curl.lastIndexOf(' $SERVICE_URL'));
    const echoed = run('bash', ['-c', `printf '%s' ${data}`]);
    expect(echoed.status, echoed.output).toBe(0);
    expect(echoed.stdout).toBe(envOf(pod.spec.containers[0]).EXAMPLE_REQUEST);
  });
});

// --- Prometheus scraping (issue 5, metrics): pod annotations and the optional ServiceMonitor. ---
describe('Helm chart: Prometheus scraping of GET /metrics', () => {
  let r: Rendered;
  beforeAll(async () => {
    r = await render({});
  });
  const template = (args: string[]) => {
    const t = helm(['template', releaseOf(r.config), r.chart, '--namespace', 'ml-services', ...args], r.dir);
    expect(t.status, t.output).toBe(0);
    return parseManifests(t.stdout);
  };

  it('values.yaml: metrics.enabled from config.yaml, ServiceMonitor off by default', () => {
    const values = parseYaml(readFileSync(join(r.dir, r.chart, 'values.yaml'), 'utf8'));
    expect(values.metrics).toEqual({
      enabled: r.config.metrics.enabled,
      podAnnotations: true,
      serviceMonitor: { enabled: false, interval: '30s', scrapeTimeout: '10s', labels: {} },
    });
    expect(r.manifests.some((m) => m.kind === 'ServiceMonitor')).toBe(false);
  });

  it('the pods carry the prometheus.io scrape annotations for the container port and /metrics', () => {
    const pod = findManifest(r.manifests, 'Deployment').spec.template;
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(r.config.service.port),
      'prometheus.io/path': '/metrics',
    });
    expect(envOf(container(findManifest(r.manifests, 'Deployment'))).MLS_METRICS_ENABLED).toBe('true');
  });

  it('metrics.serviceMonitor.enabled renders a ServiceMonitor that selects the Service and scrapes its http port', async () => {
    const ms = template([
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.serviceMonitor.labels.release=kube-prometheus-stack',
      '--set',
      'metrics.serviceMonitor.interval=15s',
    ]);
    // kubernetes-models has no ServiceMonitor model: its fields are asserted here; the other objects stay valid.
    for (const m of ms.filter((m) => m.kind !== 'ServiceMonitor')) await validateManifest(m);
    const sm = findManifest(ms, 'ServiceMonitor');
    const svc = findManifest(ms, 'Service');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.name).toBe(svc.metadata.name);
    expect(sm.metadata.labels).toMatchObject({
      release: 'kube-prometheus-stack',
      'app.kubernetes.io/name': svc.metadata.labels!['app.kubernetes.io/name'],
    });
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['ml-services'] });
    // The selector picks the Service by its labels, and names a port the Service has.
    expect(Object.keys(sm.spec.selector.matchLabels).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels![k], k).toBe(v);
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain('http');
  });

  it('metrics.enabled=false: no scrape annotations, no ServiceMonitor, MLS_METRICS_ENABLED=false', () => {
    const ms = template(['--set', 'metrics.enabled=false', '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(ms.some((m) => m.kind === 'ServiceMonitor')).toBe(false);
    const d = findManifest(ms, 'Deployment');
    expect(Object.keys(d.spec.template.metadata.annotations).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
    expect(envOf(container(d)).MLS_METRICS_ENABLED).toBe('false');
  });
});

/** Objects that select pods by label (Service, PDB, NetworkPolicy), with their selector. */
function selectors(ms: Manifest[]): [string, Record<string, string>][] {
  return ms.flatMap((m): [string, Record<string, string>][] => {
    if (m.kind === 'Service') return [[m.kind, m.spec.selector]];
    if (m.kind === 'PodDisruptionBudget') return [[m.kind, m.spec.selector.matchLabels]];
    if (m.kind === 'NetworkPolicy') return [[m.kind, m.spec.podSelector.matchLabels]];
    return [];
  });
}
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Helm chart: the rules kube-score, Polaris and checkov apply', () => {
  let defaults: Rendered;
  let allOn: Rendered;
  beforeAll(async () => {
    defaults = await render({});
    allOn = await render({ config: ALL_ON_CONFIG });
  });

  it("the image tag is never `latest` by default: the chart's appVersion, or the tag config.yaml names", () => {
    expect(container(findManifest(defaults.manifests, 'Deployment')).image).toBe('registry.example.com/ml/iris-service:0.1.0');
    expect(container(findManifest(allOn.manifests, 'Deployment')).image).toBe('registry.internal:5000/team/iris:2.3.4');
    // the deploy pipeline sets the tag it built
    const t = helm(['template', 'x', defaults.chart, '--set', 'image.tag=0.1.0-42-1a2b3c4d'], defaults.dir);
    expect(t.status, t.output).toBe(0);
    expect(container(findManifest(parseManifests(t.stdout), 'Deployment')).image).toBe(
      'registry.example.com/ml/iris-service:0.1.0-42-1a2b3c4d',
    );
  });

  it('pods and the test pod run as uid/gid >= 10000, the USER of the Dockerfile', () => {
    const user = readFileSync(join(defaults.dir, 'Dockerfile'), 'utf8').match(/^USER (\d+):(\d+)$/m);
    expect(user?.slice(1).map(Number)).toEqual([IMAGE_UID, IMAGE_UID]);
    expect(IMAGE_UID).toBeGreaterThanOrEqual(10000);
    for (const pod of [findManifest(defaults.manifests, 'Deployment').spec.template.spec, findManifest(defaults.manifests, 'Pod').spec])
      expect(pod.securityContext).toMatchObject({ runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, runAsNonRoot: true });
  });

  it("a NetworkPolicy lets traffic in to the http port of the service's pods only", async () => {
    const policy = findManifest(defaults.manifests, 'NetworkPolicy');
    await validateManifest(policy);
    expect(policy.spec.podSelector.matchLabels).toEqual(findManifest(defaults.manifests, 'Deployment').spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    const from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }];
    const t = helm(['template', 'x', defaults.chart, '--set-json', `networkPolicy.from=${JSON.stringify(from)}`], defaults.dir);
    expect(t.status, t.output).toBe(0);
    expect(findManifest(parseManifests(t.stdout), 'NetworkPolicy').spec.ingress).toEqual([
      { ports: [{ port: 'http', protocol: 'TCP' }], from },
    ]);
    const off = helm(['template', 'x', defaults.chart, '--set', 'networkPolicy.enabled=false'], defaults.dir);
    expect(parseManifests(off.stdout).map((m) => m.kind)).not.toContain('NetworkPolicy');
  });

  it('the helm test pod is selected by no Service, PDB or NetworkPolicy, and has requests and limits', () => {
    for (const r of [defaults, allOn]) {
      const pod = findManifest(r.manifests, 'Pod');
      const deployment = findManifest(r.manifests, 'Deployment');
      const found = selectors(r.manifests);
      expect(found.map(([kind]) => kind).sort()).toEqual(['NetworkPolicy', 'PodDisruptionBudget', 'Service']);
      for (const [kind, selector] of found) {
        expect(selects(selector, deployment.spec.template.metadata.labels), `${kind} selects the service's pods`).toBe(true);
        expect(selects(selector, pod.metadata.labels), `${kind} selects the test pod`).toBe(false);
      }
      const { resources } = pod.spec.containers[0];
      for (const part of ['requests', 'limits'])
        expect(Object.keys(resources[part]).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    }
  });

  it('every container requests and limits ephemeral storage', () => {
    for (const r of [defaults, allOn])
      for (const m of r.manifests.filter((x) => x.kind === 'Deployment' || x.kind === 'Pod')) {
        const containers = m.kind === 'Pod' ? m.spec.containers : m.spec.template.spec.containers;
        for (const c of containers) {
          expect(c.resources.requests['ephemeral-storage'], `${m.kind} ${c.name}`).toMatch(/^\d+Mi$/);
          expect(c.resources.limits['ephemeral-storage'], `${m.kind} ${c.name}`).toMatch(/^\d+Mi$/);
        }
      }
  });

  it('the HPA keeps at least 2 pods by default', async () => {
    const r = await render({ config: 'kubernetes:\n  autoscaling:\n    enabled: true\n' });
    expect(findManifest(r.manifests, 'HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(findManifest(allOn.manifests, 'HorizontalPodAutoscaler').spec.minReplicas).toBe(2);
  });

  it('more than one pod: spread over nodes and zones; one pod: no spread constraints', async () => {
    const spread = (r: Rendered) => findManifest(r.manifests, 'Deployment').spec.template.spec.topologySpreadConstraints;
    for (const r of [defaults, allOn]) {
      const selector = findManifest(r.manifests, 'Deployment').spec.selector.matchLabels;
      expect(spread(r)).toEqual(
        ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
          maxSkew: 1,
          topologyKey,
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selector },
        })),
      );
    }
    const single = await render({ config: 'kubernetes:\n  replicas: 1\n' });
    expect(spread(single)).toBeUndefined();
  });
});

describe('Helm chart: shutdown matches the drain of config.yaml', () => {
  /** What the service needs after SIGTERM, in seconds: the drain, the longest request, the log flush. */
  const needed = (c: any) => (c.service.shutdown_grace_ms + c.service.request_timeout_ms + c.logging.fluentd.flush_timeout_ms) / 1000;

  it.each([
    ['the defaults', undefined],
    [
      'a long drain and short requests',
      'service:\n  name: iris-drain\n  shutdown_grace_ms: 20000\n  request_timeout_ms: 2500\nlogging:\n  fluentd:\n    flush_timeout_ms: 1000\n',
    ],
  ])('%s: terminationGracePeriodSeconds covers drain + request timeout + flush (+5 s), no preStop sleep', async (_name, config) => {
    const r = await render(config === undefined ? {} : { config });
    const pod = findManifest(r.manifests, 'Deployment').spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(Math.ceil(needed(r.config)) + 5);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(needed(r.config));
    // The service drains by itself on SIGTERM; a preStop sleep would only delay that.
    expect(container(findManifest(r.manifests, 'Deployment')).lifecycle).toBeUndefined();
    const values = parseYaml(readFileSync(join(r.dir, r.chart, 'values.yaml'), 'utf8'));
    expect(values.terminationGracePeriodSeconds).toBe(pod.terminationGracePeriodSeconds);
  });
});
