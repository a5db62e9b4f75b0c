// The forward-protocol connection of the Fluentd forwarder (fluent-forwarder.ts): writes chunks
// (fluent-chunk.ts), waits for each chunk's ack (`require_ack_response`), sends a chunk again when its
// ack does not come within ackTimeoutMs or its connection is lost (at-least-once), and reconnects at a
// fixed interval. No handshake: the forward protocol without shared_key.
//
// A chunk's ack timer starts when the chunk has left this process (its write callback), not while it
// waits in the socket's buffer, and nothing more is written while that buffer is full (until 'drain'):
// a receiver that reads slowly is not sent the same records again and again.
import { connect, type Socket } from 'node:net';
import { decodeMultiStream } from '@msgpack/msgpack';
import type { FluentdEncoding } from '../config-schema.js';
import type { Chunk } from './fluent-chunk.js';
import { JsonValues } from './json-values.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  encoding: FluentdEncoding;
  reconnectIntervalMs: number;
  ackTimeoutMs: number;
}

export interface ConnectionEvents {
  /**
   * A chunk was acked. `written`: its write had completed, so nothing refers to its bytes any more (a
   * re-sent chunk can be acked, by its first copy's late ack, while its second copy is being written).
   */
  delivered(chunk: Chunk, written: boolean): void;
  connected(): void;
  /** A connection attempt or the connection failed (a reconnect follows unless closed). */
  failed(err: Error & { code?: string }): void;
}

/** An ack longer than this is not an ack: the connection is dropped (and its chunks sent again). */
const ACK_MAX_BYTES = 64 * 1024;

interface InFlight {
  chunk: Chunk;
  timer: NodeJS.Timeout | undefined;
}

export class FluentConnection {
  /** Records sent again so far (a chunk's records each time it is re-sent). */
  retried = 0;
  connected = false;
  private socket: Socket | null = null;
  /** Chunks waiting to be written, oldest first. */
  private queue: Chunk[] = [];
  private readonly inflight = new Map<string, InFlight>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private keepAlive = false;
  /** An unacked chunk is sent again after this delay (the socket may be failing fast). */
  private readonly retryDelayMs: number;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.retryDelayMs = Math.min(250, opts.reconnectIntervalMs);
    this.open();
  }

  send(chunk: Chunk): void {
    this.queue.push(chunk);
    this.write();
  }

  /** Chunks waiting for their retry timer are written now. */
  retryNow(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.write();
  }

  /** Whether the connection keeps the process alive (only while the forwarder flushes at close). */
  ref(keep: boolean): void {
    this.keepAlive = keep;
    if (keep) this.socket?.ref();
    else this.socket?.unref();
  }

  /** Stops: what is queued or unacked is given up (the count is returned); the connection is ended. */
  async close(graceMs: number): Promise<number> {
    this.closed = true;
    for (const t of [this.reconnectTimer, this.retryTimer]) if (t !== null) clearTimeout(t);
    let givenUp = 0;
    for (const c of this.queue) givenUp += c.count;
    for (const { chunk, timer } of this.inflight.values()) {
      clearTimeout(timer);
      givenUp += chunk.count;
    }
    this.queue = [];
    this.inflight.clear();
    const s = this.socket;
    this.socket = null;
    this.connected = false;
    if (s !== null && s.writable && !s.connecting) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => s.end(resolve)),
        new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(grace);
    }
    s?.destroy();
    return givenUp;
  }

  private readonly write = (): void => {
    const s = this.socket;
    if (!this.connected || s === null) return;
    while (!s.writableNeedDrain && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      const entry: InFlight = { chunk, timer: undefined };
      this.inflight.set(chunk.id, entry);
      s.write(chunk.bytes, (err) => {
        if (err || this.inflight.get(chunk.id) !== entry) return;
        entry.timer = setTimeout(() => this.onAckTimeout(chunk.id), this.opts.ackTimeoutMs);
        entry.timer.unref();
      });
    }
  };

  private onAck(chunkId: string): void {
    const entry = this.inflight.get(chunkId);
    if (entry === undefined) return; // acked after its timeout: it was queued again, and is acked when that copy is
    this.inflight.delete(chunkId);
    clearTimeout(entry.timer);
    this.events.delivered(entry.chunk, entry.timer !== undefined);
  }

  private onAckTimeout(chunkId: string): void {
    const entry = this.inflight.get(chunkId);
    if (entry === undefined) return;
    this.inflight.delete(chunkId);
    this.resend([entry.chunk]);
  }

  /** Chunks to write again, before the others (same chunk IDs: a late ack of the first copy settles them). */
  private resend(chunks: Chunk[]): void {
    if (this.closed || chunks.length === 0) return;
    for (const c of chunks) this.retried += c.count;
    this.queue.unshift(...chunks);
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.write();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  private open(): void {
    this.reconnectTimer = null;
    if (this.closed) return;
    const s = connect({ host: this.opts.host, port: this.opts.port });
    this.socket = s;
    if (!this.keepAlive) s.unref();
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connected = true;
      this.events.connected();
      this.readAcks(s);
      s.on('drain', this.write);
      this.write();
    });
    s.on('error', (err) => this.events.failed(err));
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.connected = false;
      // Every chunk written on a connection that is gone is sent again.
      const chunks = [...this.inflight.values()].map((e) => {
        clearTimeout(e.timer);
        return e.chunk;
      });
      this.inflight.clear();
      this.resend(chunks);
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => this.open(), this.opts.reconnectIntervalMs);
      this.reconnectTimer.unref();
    });
  }

  /** Acks arrive as maps { ack: chunkId } in the connection's encoding; anything unreadable ends the connection. */
  private readAcks(s: Socket): void {
    const onMessage = (message: unknown): void => {
      const ack = (message as { ack?: unknown } | null)?.ack;
      if (typeof ack === 'string') this.onAck(ack);
    };
    if (this.opts.encoding === 'msgpack') {
      (async () => {
        for await (const message of decodeMultiStream(s)) onMessage(message);
      })().catch(() => s.destroy());
      return;
    }
    const values = new JsonValues(ACK_MAX_BYTES);
    s.on('data', (data: Buffer) => {
      try {
        for (const value of values.push(data)) onMessage(JSON.parse(value.toString('utf8')));
      } catch {
        s.destroy();
      }
    });
  }
}
