// A raw HTTP/1.1 client over net sockets, for requests no HTTP library sends (broken framing, bad
// bytes, slow bodies), and the checks the hostile-input tests make on each answer.
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the first byte sent to the full answer (or the socket's close). */
  ms: number;
}

/** Bytes of an HTTP/1.1 request; a Host header and Connection: close unless the headers say otherwise (null leaves one out). */
export function requestBytes(
  method: string,
  path: string,
  headers: Record<string, string | null> = {},
  body: Buffer | string = '',
): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const all: Record<string, string | null> = {
    host: '127.0.0.1',
    connection: 'close',
    ...(bytes.length > 0 || method === 'POST' ? { 'content-length': String(bytes.length) } : {}),
    ...headers,
  };
  const head = Object.entries(all)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${head}\r\n`), bytes]);
}

export const jsonRequest = (path: string, body: unknown, headers: Record<string, string | null> = {}): Buffer =>
  requestBytes(
    'POST',
    path,
    { 'content-type': 'application/json', ...headers },
    typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  );

/** What to send: whole bytes, or a writer that sends them in its own time (slow clients). */
export type Sending = Buffer | ((socket: Socket) => Promise<void>);

/**
 * Sends a request and reads one answer: up to Content-Length, or until the server closes. Resolves
 * null when the socket closed with no answer; rejects after `giveUpMs` (a stall).
 */
export function rawRequest(port: number, sending: Sending, giveUpMs = 15_000): Promise<RawResponse | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (value: RawResponse | null, err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(null, new Error(`no answer within ${giveUpMs} ms`)), giveUpMs);
    const parsed = (): RawResponse | null => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = data.subarray(end + 4);
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (length !== undefined && body.length < length) return null;
      return {
        status: Number(statusLine!.split(' ')[1]),
        headers,
        body: body.subarray(0, length).toString('utf8'),
        ms: performance.now() - started,
      };
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const res = parsed();
      if (res && res.headers['content-length'] !== undefined) finish(res);
    });
    socket.on('error', () => finish(parsed()));
    socket.on('close', () => finish(parsed()));
    socket.once('connect', () => {
      if (Buffer.isBuffer(sending)) socket.write(sending);
      else sending(socket).catch(() => undefined);
    });
  });
}

/** Writes `bytes` one chunk every `everyMs` (a client on a very slow link); stops when the socket closes. */
export function trickle(bytes: Buffer, chunk: number, everyMs: number): (socket: Socket) => Promise<void> {
  return async (socket) => {
    for (let i = 0; i < bytes.length && !socket.destroyed; i += chunk) {
      socket.write(bytes.subarray(i, i + chunk));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
}

export interface ErrorBody {
  error: string;
  details?: { path: string; field?: string; row?: number; message: string }[];
}

/**
 * The answer is `status` in the { error } shape (a JSON object with a string `error`, and details
 * with path and message when there are any) and names `named` in the error or a detail.
 */
export function expectError(res: RawResponse | null, status: number, named: string | RegExp): ErrorBody {
  expect(res, 'an answer').not.toBeNull();
  const where = `${res!.status} ${res!.body.slice(0, 400)}`;
  expect(res!.status, where).toBe(status);
  expect(res!.headers['content-type'], where).toMatch(/^application\/json/);
  const body = JSON.parse(res!.body) as ErrorBody;
  expect(typeof body.error, where).toBe('string');
  expect(
    Object.keys(body).every((k) => k === 'error' || k === 'details'),
    where,
  ).toBe(true);
  if (body.details !== undefined) {
    expect(Array.isArray(body.details), where).toBe(true);
    for (const d of body.details) expect(typeof d.path === 'string' && typeof d.message === 'string', where).toBe(true);
  }
  const texts = [body.error, ...(body.details ?? []).flatMap((d) => [d.message, d.path, d.field ?? ''])];
  const hit = texts.some((t) => (typeof named === 'string' ? t.includes(named) : named.test(t)));
  expect(hit, `${where}\nshould name ${String(named)}`).toBe(true);
  return body;
}

/** mlservice_http_requests_in_flight, read from GET /metrics (which is not counted in it). */
export async function inFlight(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^mlservice_http_requests_in_flight (\d+)$/m.exec(text)![1]);
}
