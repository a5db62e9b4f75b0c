// SIGTERM flush, end to end: the built server (dist/src/server.js) in a child process, Fluentd away
// while it predicts, back just before SIGTERM: every record must reach the receiver before exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { exampleRow, modelSpec } from './service.js';
import { useBuiltServer } from './built-server.js';
import { freePort, Receiver, withTimeout } from './logging-helpers.js';

const { O_NONBLOCK } = constants;
let child: ChildProcess | null = null;
let receiver: Receiver | null = null;

const built = useBuiltServer('logging-sigterm', async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await receiver?.stop();
});

it('SIGTERM: records buffered while Fluentd was away are delivered before the process exits', async () => {
  const httpPort = await freePort();
  const fluentPort = await freePort();
  receiver = new Receiver(fluentPort);
  child = spawn(process.execPath, ['dist/src/server.js'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(httpPort),
      MLS_MODEL_DIR: built.bundleDir,
      MLS_LOGGING_LEVEL: 'info',
      MLS_LOGGING_FLUENTD_ENABLED: 'true',
      MLS_LOGGING_FLUENTD_HOST: '127.0.0.1',
      MLS_LOGGING_FLUENTD_PORT: String(fluentPort),
      MLS_LOGGING_FLUENTD_TAG_PREFIX: 'sigterm',
      MLS_LOGGING_FLUENTD_RECONNECT_INTERVAL_MS: '300',
      MLS_LOGGING_FLUENTD_FLUSH_TIMEOUT_MS: '8000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not get ready:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Fluentd on and stdout a pipe, as in a container: stdout stays blocking, so the synchronous
  // line writes wait for a slow reader instead of failing with EAGAIN (sonic-boom then sleeps 100 ms each).
  // (stderr does not: Node opens process.stderr as a non-blocking pipe as soon as node:assert is loaded.)
  if (process.platform === 'linux') {
    const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/fdinfo/1`, 'utf8'))![1]!;
    expect(parseInt(flags, 8) & O_NONBLOCK, `stdout flags ${flags}`).toBe(0);
  }

  const N = 15;
  for (let i = 0; i < N; i++) {
    const body = modelSpec.idField ? { ...exampleRow, [modelSpec.idField]: `e-${i}` } : exampleRow;
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `sig-${i}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  }
  expect(receiver.entries).toHaveLength(0);
  await receiver.start();
  child.kill('SIGTERM');
  const code = await withTimeout(exited, 15_000, 'server exit after SIGTERM');
  expect(code, stderr).toBe(0);
  // Nothing more arrives after exit; every record is already there.
  const got = new Set(receiver.withTag('sigterm.prediction').map((r) => r.request_id));
  expect(got.size, stdout).toBe(N);
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l.log_type === 'prediction')).toHaveLength(N);
  expect(lines.find((l) => l.msg === 'fluentd forwarder closed; every record delivered')).toMatchObject({
    delivered: N,
    dropped: 0,
    lost_at_close: 0,
  });
}, 90_000);
