import { z } from 'zod';
import { checkRuntimeConfig, dnsName, port, RUNTIME_SECTIONS, section } from './runtime-config-schema.js';

export { DNS_NAME, LOG_LEVELS, QUALITY_METRICS } from './runtime-config-schema.js';

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|k|M|G)?$/, 'must be a Kubernetes quantity such as 100m, 0.5, 256Mi');

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

/** The native config.yaml. Every key has a default, so `{}` is a valid config. */
export const ConfigFile = z.strictObject({
  ...RUNTIME_SECTIONS,
  image: section({
    registry: z.string().min(1).default('docker.io'),
    repository: z.string().min(1).optional(),
    tag: z.string().min(1).default('latest'),
    credentials_id: z.string().min(1).default('docker-registry-credentials'),
  }),
  scm: section({
    repository: z.string().default(''),
    branch: z.string().min(1).default('main'),
    credentials_id: z.string().min(1).default('scm-credentials'),
  }),
  kubernetes: section({
    namespace: dnsName.default('default'),
    deployment_name: dnsName.optional(),
    credentials_id: z.string().min(1).default('kubeconfig'),
    replicas: z.number().int().min(0).default(1),
    service: section({
      type: z.enum(SERVICE_TYPES).default('ClusterIP'),
      port: port.default(80),
      node_port: z.number().int().min(30000).max(32767).optional(),
    }),
    resources: section({
      cpu_request: quantity.default('100m'),
      memory_request: quantity.default('256Mi'),
      cpu_limit: quantity.default('1'),
      memory_limit: quantity.default('512Mi'),
    }),
    ingress: section({
      enabled: z.boolean().default(false),
      host: z.string().min(1).optional(),
      class_name: z.string().min(1).optional(),
    }),
    autoscaling: section({
      enabled: z.boolean().default(false),
      min_replicas: z.number().int().min(1).default(2),
      max_replicas: z.number().int().min(1).default(5),
      target_cpu_percent: z.number().int().min(1).max(100).default(80),
    }),
  }),
}).superRefine((c, ctx) => {
  checkRuntimeConfig(c, ctx);
  const svc = c.kubernetes.service;
  if (svc.node_port !== undefined && svc.type === 'ClusterIP')
    ctx.addIssue({ code: 'custom', path: ['kubernetes', 'service', 'node_port'], message: 'node_port needs service type NodePort or LoadBalancer. Fix: set kubernetes.service.type: NodePort, or remove node_port.' });
  const a = c.kubernetes.autoscaling;
  if (a.min_replicas > a.max_replicas)
    ctx.addIssue({ code: 'custom', path: ['kubernetes', 'autoscaling', 'min_replicas'], message: `min_replicas (${a.min_replicas}) is above max_replicas (${a.max_replicas}).` });
  if (c.kubernetes.ingress.enabled && !c.kubernetes.ingress.host)
    ctx.addIssue({ code: 'custom', path: ['kubernetes', 'ingress', 'host'], message: 'an enabled ingress needs a host. Fix: add kubernetes.ingress.host: my-service.example.com' });
});
export type ConfigFile = z.infer<typeof ConfigFile>;

/**
 * The Python template's flat config.yaml: each legacy key and where it lands in the native format.
 * `ID_NAME` belongs to the features (the entity ID), so it moves to features.yaml's `id_field`.
 */
export const LEGACY_CONFIG_KEYS = {
  repository: 'scm.repository',
  scm_credentials_id: 'scm.credentials_id',
  registry: 'image.registry',
  production_image_name: 'image.repository',
  production_image_tag: 'image.tag',
  docker_credentials_id: 'image.credentials_id',
  model_path: 'model.dir',
  model_name: 'model.name',
  deployment_name: 'kubernetes.deployment_name',
  replicas: 'kubernetes.replicas',
  service_name: 'service.name',
  container_port: 'service.port',
  service_type: 'kubernetes.service.type',
  service_port: 'kubernetes.service.port',
  service_node_port: 'kubernetes.service.node_port',
  enable_fluentd_logging: 'logging.fluentd.enabled',
  fluentd_url: 'logging.fluentd.host',
  fluentd_port: 'logging.fluentd.port',
  fluentd_base_log_name: 'logging.fluentd.tag_prefix',
  log_n_best: 'model.top_n',
  ID_NAME: 'features.id_field',
} as const;
