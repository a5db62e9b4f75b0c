import { readFileSync } from 'node:fs';

/** The runtime package as `npm run build` packed it (scripts/pack-runtime.mjs): shipped in each service's vendor/. */
export const RUNTIME: { name: string; version: string; tarball: string } = JSON.parse(
  readFileSync(new URL('../../vendor/runtime.json', import.meta.url), 'utf8'),
);
/** Where a service takes the runtime from: its own copy of the tarball (no registry needed). Once published: `^${RUNTIME.version}`. */
export const RUNTIME_DEPENDENCY = `file:vendor/${RUNTIME.tarball}`;

/**
 * Versions of the generated service's own dependencies (the runtime's are in packages/runtime/package.json): the one place they are set.
 * The service runs on Node 24 (NODE_VERSION); the generator itself still runs on Node 20.19+.
 */
export const SERVICE_DEPENDENCIES = {
  [RUNTIME.name]: RUNTIME_DEPENDENCY,
  // src/app.ts's types; features.ts's schema
  fastify: '5.12.8',
  zod: '4.6.7',
} as const;

/** Build-time only (the image's build stage has them; its runtime stage does not). */
export const SERVICE_DEV_DEPENDENCIES = {
  // the bench's Fluentd receiver
  '@fluent-org/logger': '1.0.10',
  '@types/node': '24.19.4',
  autocannon: '9.0.0',
  // `npm run lint`: neostandard's rules for TypeScript, Prettier for the style (the generator's own versions, package.json)
  eslint: '9.39.5',
  'eslint-config-prettier': '10.1.9',
  neostandard: '0.13.0',
  // the runtime's optional peer: `npm run train` writes and inspects ONNX models with it; the server never imports it
  'onnx-proto': '8.0.1',
  prettier: '3.10.1',
  typescript: '5.9.3',
  vitest: '4.1.12',
} as const;

/** Node of the image (node:<NODE_VERSION>-bookworm-slim) and of CI's service run (scripts/install-tools.sh reads it). */
export const NODE_VERSION = '24.22.3';
/** The service's engines: Node 24 is what it is built, tested and shipped on; its dependencies need >= 22. */
export const SERVICE_ENGINES = { node: '>=24' } as const;
/** The image's runtime user and group (Dockerfile USER, chart securityContext): >= 10000, as kube-score/Polaris ask. */
export const IMAGE_UID = 10001;

/**
 * How the server process starts, in `npm start` and the image's CMD alike. The young generation's
 * semi-space is set to 16 MB: the rows of the requests in flight (a batch of 64 rows, its answer and
 * its log lines) outlive a smaller one's scavenges, which then copy them again and again, at no saving
 * in RSS under that load (`npm run bench` shows both).
 */
export const SERVER_COMMAND = ['node', '--max-semi-space-size=16', 'dist/src/server.js'];
