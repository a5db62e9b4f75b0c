// A Fluentd forward-protocol receiver for tests and benchmarks (`@mlservice/runtime/fluentd-receiver`),
// not for production: it reads a connection as Fluentd's in_forward does, as JSON when its first byte is
// `{` or `[` (Forward and Message modes; acks written as JSON) and as msgpack otherwise, which
// @fluent-org/logger's FluentServer decodes and acks (an optional peer dependency of this package: the
// generated service has it among its devDependencies). Records are reported before their chunk is acked,
// as Fluentd routes them before it answers.
import { createServer, type Server, type Socket } from 'node:net';
import { FluentServer } from '@fluent-org/logger';
import { JsonValues } from './json-values.js';

export type EntryListener = (tag: string, time: unknown, record: Record<string, unknown>) => void;

export interface ForwardReceiverOptions {
  /** 0: any free port (see listen()). */
  port: number;
  host?: string;
  onEntry: EntryListener;
}

/** FluentServer's connection handler: private in its types, called here for connections that are not JSON. */
interface MsgpackConnections {
  handleConnection(socket: Socket): Promise<void>;
}

/** A JSON value longer than this ends the connection, as a broken chunk does in Fluentd. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class ForwardReceiver {
  private readonly server: Server;
  private readonly msgpack: FluentServer;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: ForwardReceiverOptions) {
    this.msgpack = new FluentServer();
    this.msgpack.on('entry', opts.onEntry);
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** Stops listening and ends every connection (a goodbye: the client sees the end). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.end();
    return closed;
  }

  /** Like a crash: stops listening and destroys every connection. */
  kill(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    return closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      // FluentServer reads the socket as an async iterator (which pulls what was put back); the JSON reader listens.
      if (first[0] === 0x7b || first[0] === 0x5b) {
        this.readJson(socket);
        socket.resume();
      } else void (this.msgpack as unknown as MsgpackConnections).handleConnection(socket);
    });
  }

  private readJson(socket: Socket): void {
    const values = new JsonValues(MAX_MESSAGE_BYTES);
    socket.on('data', (data: Buffer) => {
      try {
        for (const value of values.push(data)) {
          const chunk = this.message(JSON.parse(value.toString('utf8')) as unknown);
          if (chunk !== undefined) socket.write(JSON.stringify({ ack: chunk }));
        }
      } catch {
        socket.destroy();
      }
    });
  }

  /** Reports a message's records; returns its chunk ID when it asks for an ack. Throws on what in_forward refuses. */
  private message(msg: unknown): string | undefined {
    if (!Array.isArray(msg) || typeof msg[0] !== 'string') throw new Error('not a forward message');
    const tag = msg[0];
    let option: unknown;
    if (Array.isArray(msg[1])) {
      for (const entry of msg[1] as unknown[]) {
        if (!Array.isArray(entry)) throw new Error('not an entry');
        if (entry[1] != null) this.opts.onEntry(tag, entry[0], entry[1] as Record<string, unknown>);
      }
      option = msg[2];
    } else if (typeof msg[1] === 'string') {
      throw new Error('PackedForward mode carries msgpack: not in a JSON connection');
    } else {
      if (msg[2] != null) this.opts.onEntry(tag, msg[1], msg[2] as Record<string, unknown>);
      option = msg[3];
    }
    const chunk = (option as { chunk?: unknown } | null | undefined)?.chunk;
    return typeof chunk === 'string' ? chunk : undefined;
  }
}
