// The image's HEALTHCHECK (node node_modules/@mlservice/runtime/dist/healthcheck.js): GET /health/live on the port the server listens on, read as the server reads it
// (config.yaml, CONFIG_PATH, PORT / MLS_SERVICE_PORT). Exit 0 when it answers 200, 1 otherwise.
import { loadConfig } from './config.js';

// a wildcard listen address answers on loopback (`::` listens on IPv4 as well)
const LOOPBACK: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '127.0.0.1' };

try {
  const { host, port } = loadConfig().service;
  const address = LOOPBACK[host] ?? (host.includes(':') ? `[${host}]` : host);
  const res = await fetch(`http://${address}:${port}/health/live`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${(err as Error).message}`);
  process.exit(1);
}
