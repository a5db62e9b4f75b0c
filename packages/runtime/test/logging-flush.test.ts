// The buffered stdout (src/logging/stdout.ts) loses no line: the built server (dist/src/server.js)
// in a child process, stdout to a file as a container runtime captures it, stopped right after its
// answers (while their lines are still buffered) by SIGTERM, by an uncaught error, by process.exit.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { exampleRow, modelSpec } from './service.js';
import { useBuiltServer } from './built-server.js';
import { freePort, withTimeout } from './logging-helpers.js';

const built = useBuiltServer('logging-flush');

const cases = [
  { how: 'SIGTERM (graceful shutdown)', signal: 'SIGTERM', exitCode: 0 },
  { how: 'an uncaught error (crash)', signal: 'SIGUSR2', exitCode: 1 },
  { how: 'process.exit()', signal: 'SIGHUP', exitCode: 7 },
] as const;

for (const c of cases)
  it(`${c.how} right after the answers: every prediction record is in the stdout file`, async () => {
    const port = await freePort();
    const file = join(built.tmp, `${c.signal}.stdout.log`);
    const out = openSync(file, 'w');
    const child = spawn(process.execPath, ['--import', new URL('./crash-preload.mjs', import.meta.url).href, 'dist/src/server.js'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        MLS_MODEL_DIR: built.bundleDir,
        MLS_LOGGING_LEVEL: 'info',
        MLS_LOGGING_FLUENTD_ENABLED: 'false',
      },
      stdio: ['ignore', out, 'pipe'],
    });
    closeSync(out);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ids: string[] = [];
    const rows = (i: number) =>
      Array.from({ length: 2 }, (_, k) => (modelSpec.idField ? { ...exampleRow, [modelSpec.idField]: `e-${i}-${k}` } : exampleRow));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (
        !(await fetch(`${url}/health/ready`).then(
          (r) => r.status === 200,
          () => false,
        ))
      ) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not get ready:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // A few rows, fewer bytes than the buffer writes at once, sent together: their lines wait in the
      // buffer. Should its timer have written them already, another round is sent, so that the
      // process is stopped while lines of answered requests are only in its memory.
      const predicted = (): Set<string> =>
        new Set(
          readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"log_type":"prediction"'))
            .map((l) => (JSON.parse(l) as { request_id: string }).request_id),
        );
      let unwritten = 0;
      for (let round = 0; round < 5 && unwritten === 0; round++) {
        const batch = Array.from({ length: 4 }, (_, i) => `${c.signal}-${round}-${i}`);
        const answers = await Promise.all(
          batch.map((id, i) =>
            fetch(`${url}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-request-id': id },
              body: JSON.stringify(rows(i)),
            }),
          ),
        );
        for (const a of answers) expect(a.status).toBe(200);
        ids.push(...batch);
        const inFile = predicted();
        unwritten = batch.filter((id) => !inFile.has(id)).length;
      }
      expect(unwritten, 'answered requests whose lines were still buffered when the process was stopped').toBeGreaterThan(0);
      child.kill(c.signal);
      expect(await withTimeout(exited, 15_000, `exit after ${c.signal}`), stderr).toBe(c.exitCode);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const predictions = lines.filter((l) => l.log_type === 'prediction');
    expect(predictions.map((l) => `${l.request_id as string}/${l.row_index as number}`).sort()).toEqual(
      ids.flatMap((id) => [0, 1].map((k) => `${id}/${k}`)).sort(),
    );
  }, 90_000);
