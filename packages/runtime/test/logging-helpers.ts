// Helpers of the logging tests: a real Fluentd forward-protocol receiver and bounded waits.
import { createServer, type Server, type Socket } from 'node:net';
import type { Config } from '../src/config.js';
import { ForwardReceiver } from '../src/logging/forward-receiver.js';

export interface Entry {
  tag: string;
  time: unknown;
  record: Record<string, unknown>;
}

/** config.logging.fluentd sending to a test receiver on 127.0.0.1:`port`, with short retry timings. */
export function fluentdAt(
  base: Config,
  port: number,
  tagPrefix: string,
  more: Partial<Config['logging']['fluentd']> = {},
): Config['logging']['fluentd'] {
  return {
    ...base.logging.fluentd,
    enabled: true,
    host: '127.0.0.1',
    port,
    tag_prefix: tagPrefix,
    reconnect_interval_ms: 200,
    ack_timeout_ms: 500,
    flush_timeout_ms: 5_000,
    ...more,
  };
}

/** A free TCP port on 127.0.0.1 (nothing listens on it when this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real forward-protocol receiver (acks every chunk; reads JSON or msgpack connections as Fluentd's
 * in_forward does, msgpack through FluentServer) that can be stopped and started on the same port.
 */
export class Receiver {
  readonly entries: Entry[] = [];
  private server: ForwardReceiver | null = null;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = new ForwardReceiver({
      port: this.port,
      onEntry: (tag, time, record) => this.entries.push({ tag, time, record }),
    });
    await server.listen();
    this.server = server;
  }

  /** Stops listening and ends every client connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await withTimeout(server.close(), 5_000, 'receiver close');
  }

  /** Like a crash: closes the listener and destroys every client connection without a goodbye. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await withTimeout(server.kill(), 5_000, 'receiver close after kill');
  }

  withTag(tag: string): Record<string, unknown>[] {
    return this.entries.filter((e) => e.tag === tag).map((e) => e.record);
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 20 ms; fails with `what` after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A logger destination that parses every line it is given into `lines`. A write may hold several
 * lines: the prediction log writes the lines of a request's rows in one write.
 */
export function lineCollector(lines: Record<string, unknown>[], check?: (line: string) => void): { write: (chunk: string) => void } {
  return {
    write: (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        check?.(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A hung Fluentd: accepts connections and reads everything, never acks. kill() drops it like a crash. */
export class BlackHole {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  bytes = 0;
  constructor(readonly port: number) {}

  start(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('data', (d) => (this.bytes += d.length));
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await withTimeout(closed, 5_000, 'black hole close');
  }
}
