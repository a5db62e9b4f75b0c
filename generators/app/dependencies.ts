/**
 * Versions of the generated service's dependencies: the one place they are set.
 * The service runs on Node 24 (NODE_VERSION); the generator itself still runs on Node 20.19+.
 */
export const SERVICE_DEPENDENCIES = {
  '@fastify/swagger': '9.9.3',
  '@fastify/swagger-ui': '6.1.3',
  '@fluent-org/logger': '1.0.10',
  '@msgpack/msgpack': '2.8.0',
  ajv: '8.20.0',
  'csv-parse': '5.5.6',
  fastify: '5.12.8',
  'onnxruntime-node': '1.30.0',
  pino: '10.4.0',
  'prom-client': '15.1.3',
  yaml: '2.9.1',
  zod: '4.6.7',
} as const;

/** Build-time only (the image's build stage has them; its runtime stage does not). */
export const SERVICE_DEV_DEPENDENCIES = {
  '@types/node': '24.19.4',
  autocannon: '9.0.0',
  // writes ONNX models in `npm run train` (src/model/onnx-builder.ts); the server never imports it
  'onnx-proto': '8.0.1',
  typescript: '5.9.3',
  vitest: '4.1.12',
} as const;

/** Node of the image (node:<NODE_VERSION>-bookworm-slim) and of CI's service run (scripts/install-tools.sh reads it). */
export const NODE_VERSION = '24.22.3';
/** The service's engines: Node 24 is what it is built, tested and shipped on; its dependencies need >= 22. */
export const SERVICE_ENGINES = { node: '>=24' } as const;
/** The image's runtime user and group (Dockerfile USER, chart securityContext): >= 10000, as kube-score/Polaris ask. */
export const IMAGE_UID = 10001;

/** How the server process starts, in `npm start` and the image's CMD alike: a smaller young generation keeps RSS down under load. */
export const SERVER_COMMAND = ['node', '--max-semi-space-size=4', 'dist/src/server.js'];
