// Graceful drain, end to end: the built server (dist/src/server.js) in a child process under
// autocannon load (50 connections) gets SIGTERM mid-run. It must go not-ready at once, keep
// answering (with Connection: close) through service.shutdown_grace_ms, answer a request still
// arriving when the listener closes, refuse new connections after that, and exit 0: no failed request.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { exampleRow } from './service.js';
import { useBuiltServer } from './built-server.js';
import { freePort, withTimeout } from './logging-helpers.js';
import { jsonRequest, rawRequest } from './raw-http.js';

/** The part of autocannon's API used here (it ships no TypeScript types). */
interface AutocannonResult {
  requests: { total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  resets: number;
}
type Instance = Promise<AutocannonResult> & { on(event: 'response', fn: (client: unknown, status: number) => void): void };
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Instance;

const GRACE_MS = 3_000;
const LOAD_SECONDS = 3;
const SIGTERM_AFTER_MS = 1_000;

let child: ChildProcess | null = null;

const built = useBuiltServer('drain', () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('SIGTERM under load: not ready at once, every request answered, Connection: close while draining, listener closed after the grace period, exit 0', async () => {
  const port = await freePort();
  child = spawn(process.execPath, ['dist/src/server.js'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      MLS_MODEL_DIR: built.bundleDir,
      MLS_LOGGING_LEVEL: 'warn',
      MLS_SERVICE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      MLS_LOGGING_FLUENTD_ENABLED: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not get ready:\n${stderr}`);
    await sleep(100);
  }

  const body = JSON.stringify(exampleRow);
  const load = autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 50,
    duration: LOAD_SECONDS,
  });
  const statuses = new Map<number, number>();
  load.on('response', (_client, status) => statuses.set(status, (statuses.get(status) ?? 0) + 1));

  await sleep(SIGTERM_AFTER_MS);
  child.kill('SIGTERM');
  const signalled = performance.now();
  await sleep(200);

  // Draining: not ready, still answering, and telling keep-alive clients to go.
  const ready = await fetch(`${url}/health/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'draining' });
  const during = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(during.status).toBe(200);
  expect(during.headers.get('connection')).toBe('close');

  // A request whose body is still on its way when the grace period ends is answered all the same.
  const request = jsonRequest('/predict', body, { connection: 'keep-alive' });
  const late = rawRequest(port, async (socket) => {
    socket.write(request.subarray(0, request.length - 3));
    await sleep(Math.max(0, GRACE_MS - (performance.now() - signalled)) + 400);
    socket.write(request.subarray(request.length - 3));
  });

  const result = await load;
  expect(performance.now() - signalled, 'the load ended inside the grace period').toBeLessThan(GRACE_MS);
  expect(result.requests.total).toBeGreaterThan(0);
  expect({ errors: result.errors, timeouts: result.timeouts, resets: result.resets, non2xx: result.non2xx }).toEqual({
    errors: 0,
    timeouts: 0,
    resets: 0,
    non2xx: 0,
  });
  expect([...statuses.keys()]).toEqual([200]);

  // After the grace period the listener is closed: a new connection is refused (it goes to another replica).
  await sleep(Math.max(0, GRACE_MS - (performance.now() - signalled)) + 200);
  const refused = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  expect(refused).toBe('ECONNREFUSED');

  const answer = await late;
  expect(answer?.status, answer?.body).toBe(200);
  expect(answer!.headers.connection).toBe('close');

  const code = await withTimeout(exited, 15_000, 'server exit after SIGTERM');
  expect(code, stderr).toBe(0);
  expect(performance.now() - signalled).toBeGreaterThanOrEqual(GRACE_MS);
}, 90_000);
