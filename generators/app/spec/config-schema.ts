import { z } from 'zod';
import { checkRuntimeConfig, dnsName, port, RUNTIME_SECTIONS, section } from './runtime-config-schema.js';

export { DNS_NAME, LOG_LEVELS, QUALITY_METRICS } from './runtime-config-schema.js';

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|k|M|G)?$/, 'must be a Kubernetes quantity such as 100m, 0.5, 256Mi');

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

/** The native config.yaml. Every key has a default, so `{}` is a valid config. */
export const ConfigFile = z
  .strictObject({
    ...RUNTIME_SECTIONS,
    image: section({
      registry: z.string().min(1).default('docker.io'),
      repository: z.string().min(1).optional(),
      tag: z.string().min(1).default('latest'),
      credentials_id: z.string().min(1).default('docker-registry-credentials'),
      /** The URL the build-image pipeline logs in to (Jenkins withDockerRegistry); default: derived from registry. */
      login_url: z.string().url().optional(),
      /** A JSON file (path from config.yaml's folder): the body the build-image pipeline's smoke test POSTs to /predict. */
      smoke_request: z.string().min(1).optional(),
    }),
    scm: section({
      repository: z.string().default(''),
      branch: z.string().min(1).default('main'),
      credentials_id: z.string().min(1).default('scm-credentials'),
    }),
    kubernetes: section({
      namespace: dnsName.default('default'),
      /** The Deployment's (and the chart's other objects') name; default: from the Helm release. */
      deployment_name: dnsName.optional(),
      /** The Kubernetes Service's name; default: the Deployment's. */
      service_name: dnsName.optional(),
      /** The container's name in the pods; default: the chart's name. */
      container_name: dnsName.optional(),
      /** An extra `app: <label>` label on every object, used by the selectors too (the Python template's deployment_label). */
      app_label: z
        .string()
        .max(63)
        .regex(
          /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/,
          'must be a Kubernetes label value: letters, digits, "-", "_", ".", starting and ending with a letter or digit, at most 63 characters',
        )
        .optional(),
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
  })
  .superRefine((c, ctx) => {
    checkRuntimeConfig(c, ctx);
    const svc = c.kubernetes.service;
    if (svc.node_port !== undefined && svc.type === 'ClusterIP')
      ctx.addIssue({
        code: 'custom',
        path: ['kubernetes', 'service', 'node_port'],
        message: 'node_port needs service type NodePort or LoadBalancer. Fix: set kubernetes.service.type: NodePort, or remove node_port.',
      });
    const a = c.kubernetes.autoscaling;
    if (a.min_replicas > a.max_replicas)
      ctx.addIssue({
        code: 'custom',
        path: ['kubernetes', 'autoscaling', 'min_replicas'],
        message: `min_replicas (${a.min_replicas}) is above max_replicas (${a.max_replicas}).`,
      });
    if (c.kubernetes.ingress.enabled && !c.kubernetes.ingress.host)
      ctx.addIssue({
        code: 'custom',
        path: ['kubernetes', 'ingress', 'host'],
        message: 'an enabled ingress needs a host. Fix: add kubernetes.ingress.host: my-service.example.com',
      });
  });
export type ConfigFile = z.infer<typeof ConfigFile>;
