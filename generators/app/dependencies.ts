/**
 * Versions of the generated service's dependencies: the one place they are set.
 * Pinned to what installs and runs on Node 20 (newer majors of several need Node 22).
 */
export const SERVICE_DEPENDENCIES = {
  '@fastify/swagger': '9.9.3',
  '@fastify/swagger-ui': '6.1.3',
  '@fluent-org/logger': '1.0.10',
  '@msgpack/msgpack': '2.8.0',
  ajv: '8.20.0',
  'csv-parse': '5.5.6',
  fastify: '5.12.8',
  'onnx-proto': '8.0.1',
  'onnxruntime-node': '1.30.0',
  pino: '10.4.0',
  'prom-client': '15.1.3',
  yaml: '2.9.1',
  zod: '4.6.7',
} as const;

export const SERVICE_DEV_DEPENDENCIES = {
  '@types/node': '20.19.43',
  autocannon: '9.0.0',
  typescript: '5.9.3',
  vitest: '4.1.12',
} as const;

export const NODE_VERSION = '20.20.2';
