// Every deploy setting of config.yaml reaches the deploy file that needs it (no dead key, nothing hard-coded):
// each leaf gets a distinctive value and must appear in the Dockerfile, a Jenkinsfile or the chart's own values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { scaffold } from '../helpers/scaffold.js';

const CONFIG = `
service:
  name: keys-svc
  version: 4.5.6
  description: Distinctive description
  port: 8123
model:
  dir: bundle-dir-x
  quality_gate: { metric: mae, max: 0.4321 }
logging:
  level: warn
  fluentd: { enabled: true, host: fluentd-host-x, port: 24299 }
image: { registry: reg-x.example.com, repository: repo-x/img, tag: tag-x, credentials_id: img-cred-x }
scm: { repository: "https://scm-x.example.com/r.git", branch: branch-x, credentials_id: scm-cred-x }
kubernetes:
  namespace: ns-x
  deployment_name: deploy-x
  credentials_id: kube-cred-x
  replicas: 7
  service: { type: LoadBalancer, port: 8321, node_port: 30123 }
  resources: { cpu_request: 123m, memory_request: 321Mi, cpu_limit: "3", memory_limit: 2Gi }
  ingress: { enabled: true, host: ingress-x.example.com, class_name: class-x }
  autoscaling: { enabled: true, min_replicas: 3, max_replicas: 9, target_cpu_percent: 61 }
`;

describe('deploy settings of config.yaml', () => {
  it('each one is printed where it is used', async () => {
    const dir = await scaffold({ config: CONFIG });
    const read = (p: string) => readFileSync(join(dir, p), 'utf8');
    const values = parseYaml(read('helm/keys-svc/values.yaml'));
    delete values.config; // the ConfigMap copy of config.yaml proves nothing about use
    const chart = parseYaml(read('helm/keys-svc/Chart.yaml'));
    const docker = read('Dockerfile');
    const [train, build, deploy] = ['train-model', 'build-image', 'deploy'].map((p) => read(`jenkins/${p}/Jenkinsfile`));

    expect(chart).toMatchObject({ name: 'keys-svc', version: '4.5.6', appVersion: '4.5.6', description: 'Distinctive description' });
    expect(values).toMatchObject({
      replicaCount: 7,
      image: { repository: 'reg-x.example.com/repo-x/img', tag: 'tag-x' },
      fullnameOverride: 'deploy-x',
      containerPort: 8123,
      service: { type: 'LoadBalancer', port: 8321, nodePort: 30123 },
      ingress: { enabled: true, className: 'class-x', host: 'ingress-x.example.com' },
      resources: { requests: { cpu: '123m', memory: '321Mi' }, limits: { cpu: '3', memory: '2Gi' } },
      autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 61 },
      logging: { level: 'warn', fluentd: { enabled: true, host: 'fluentd-host-x', port: 24299 } },
      modelDir: '/app/bundle-dir-x',
    });
    expect(docker).toContain('EXPOSE 8123');
    expect(docker).toContain('COPY --from=build ["/app/bundle-dir-x", "/app/bundle-dir-x"]');
    for (const f of [train, build, deploy]) {
      expect(f).toContain("SCM_REPOSITORY = 'https://scm-x.example.com/r.git'");
      expect(f).toContain("SCM_BRANCH = 'branch-x'");
      expect(f).toContain("SCM_CREDENTIALS_ID = 'scm-cred-x'");
    }
    expect(train).toContain("MODEL_DIR = 'bundle-dir-x'");
    expect(train).toContain("QUALITY_METRIC = 'mae'");
    expect(train).toContain("QUALITY_MIN = ''");
    expect(train).toContain("QUALITY_MAX = '0.4321'");
    expect(build).toContain("IMAGE_NAME = 'reg-x.example.com/repo-x/img'");
    expect(build).toContain("IMAGE_TAG = 'tag-x'");
    expect(build).toContain("REGISTRY_URL = 'https://reg-x.example.com'");
    expect(build).toContain("REGISTRY_CREDENTIALS_ID = 'img-cred-x'");
    // the smoke test of build-image (jenkins/build-image/smoke-test.sh) runs the container on service.port
    expect(read('jenkins/build-image/smoke-test.sh')).toContain('CONFIG_PORT=8123');
    expect(deploy).toContain("RELEASE = 'deploy-x'");
    expect(deploy).toContain("NAMESPACE = 'ns-x'");
    expect(deploy).toContain("KUBE_CREDENTIALS_ID = 'kube-cred-x'");
    expect(deploy).toContain("defaultValue: 'tag-x'");
  });
});
