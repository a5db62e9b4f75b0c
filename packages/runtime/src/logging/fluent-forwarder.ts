//
// Forwards log records to Fluentd over the forward protocol (fluent-connection.ts, fluent-chunk.ts).
//
// WHY NOT pino-fluentd: measured here (Node 20, pino 10.4.0, pino-fluentd 0.2.4 as a pino transport,
// a real FluentServer as the receiver, reconnect-interval 1000 ms):
//   - Fluentd absent at start-up: the transport's worker thread dies on ECONNREFUSED; the
//     service survives only if the transport's `error` is handled, and then 0 of 100 records sent
//     before AND 0 of 1,000 sent after Fluentd came up were delivered (the worker never restarts).
//   - Fluentd restarted mid-run (down 300 ms): 501 of 1,000 records delivered, then the worker died.
//   - Its client (fluent-logger 3) has no acks and an unbounded (or silently shifting) queue:
//     no bound, no dropped count; one tag per process (we need <prefix>.prediction and <prefix>.error).
// So the default transport (logging.fluentd.transport: forward) is our own; pino-fluentd remains a
// choice for those who accept its losses (pino-fluentd-sink.ts). This one has:
//   - acks (Fluentd `require_ack_response`): a chunk counts as delivered only when Fluentd acked it;
//     an unacked chunk is sent again (at-least-once). A record can therefore arrive twice when an
//     ack is lost after Fluentd stored the chunk; every record carries a unique `event_id`, which the
//     Elasticsearch output uses as the document _id (efk/fluentd.conf), so Elasticsearch stores it once.
//   - a bound: at most `bufferMaxRecords` records held (not yet acked, wherever they are); a record
//     beyond it is dropped and counted, and the count is logged (every few seconds while dropping,
//     and at close). `stats()` exposes the counters for a metrics endpoint, exact and synchronous.
//   - a fixed reconnect interval (config reconnect_interval_ms) and every socket `error` handled.
//   - close(): waits up to `flushTimeoutMs` for every held record to be acked, then closes.
//
// ON THE MAIN THREAD, not a worker thread (it ran in one before): a record's bytes are copied once,
// into its chunk, as send() takes it, and the chunk is what the socket writes; a worker cost more
// main-thread CPU to hand the records over (copy, postMessage, the acks reported back) than the
// writes it took away, besides its own thread and heap (docs/LOGGING.md). The socket writes are
// asynchronous; a chunk goes out every FLUSH_INTERVAL_MS, or at CHUNK_MAX_RECORDS records.
import type { Logger } from 'pino';
import type { FluentdEncoding } from '../config-schema.js';
import { chunkBuilder, type ChunkBuilder } from './fluent-chunk.js';
import { FluentConnection } from './fluent-connection.js';
import type { FluentSink } from './fluent-sink.js';

/** A tag's records are written at most this often... */
export const FLUSH_INTERVAL_MS = 20;
/** ...or as soon as this many are waiting (one chunk). */
export const CHUNK_MAX_RECORDS = 1_000;
/** close() waits this long beyond flushTimeoutMs for the connection to end. */
const CLOSE_GRACE_MS = 500;

export interface ForwarderOptions {
  host: string;
  port: number;
  /** Records are tagged `<tagPrefix>.<label>`, e.g. iris-service.prediction. */
  tagPrefix: string;
  /** The connection's encoding: json (Fluentd's in_forward) or msgpack (any forward receiver); fluent-chunk.ts. */
  encoding: FluentdEncoding;
  bufferMaxRecords: number;
  reconnectIntervalMs: number;
  ackTimeoutMs: number;
  flushTimeoutMs: number;
  /** Where the forwarder reports its own state (connection, drops); the stdout logger. */
  logger: Logger;
}

export interface ForwarderStats {
  /** Records taken into the buffer. */
  accepted: number;
  /** Records acked by Fluentd. */
  delivered: number;
  /** Records refused because the buffer held bufferMaxRecords (or the forwarder was closed). */
  dropped: number;
  /** Sends repeated after an unacked send or a lost connection. */
  retried: number;
  /** Records held now (waiting for their chunk, queued, in flight or waiting for a retry). */
  pending: number;
  /** Records still held when close() gave up waiting (Fluentd away at shutdown). */
  lost_at_close: number;
  /** Records accepted and then given up on while running: not encodable (a bigint, a cycle...). */
  lost: number;
  connected: boolean;
}

export class FluentForwarder implements FluentSink {
  private readonly log: Logger;
  private readonly counts = { accepted: 0, delivered: 0, dropped: 0, lost_at_close: 0, lost: 0 };
  private pending = 0;
  private readonly connection: FluentConnection;
  private readonly builders = new Map<string, ChunkBuilder>();
  private flushTimer: NodeJS.Timeout | null = null;
  private outageReported = false;
  private closing = false;
  private closed = false;
  private closePromise: Promise<ForwarderStats> | null = null;
  private droppedReported = 0;
  private dropReportTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ForwarderOptions) {
    this.log = opts.logger.child({ component: 'fluentd-forwarder' });
    this.connection = new FluentConnection(opts, {
      delivered: (chunk, written) => {
        this.counts.delivered += chunk.count;
        this.pending -= chunk.count;
        if (written) chunk.owner.recycle(chunk);
        this.notifyIdle();
      },
      connected: () => {
        this.outageReported = false;
        this.log.info({ host: opts.host, port: opts.port, pending: this.pending, dropped_total: this.counts.dropped }, 'fluentd connected');
      },
      failed: (err) => {
        // Reported once per outage, not once per reconnect attempt.
        if (this.outageReported || this.closing) return;
        this.outageReported = true;
        this.log.warn(
          { err: { message: err.message, code: err.code }, host: opts.host, port: opts.port, retry_in_ms: opts.reconnectIntervalMs },
          'fluentd unreachable; records are buffered',
        );
      },
    });
  }

  /** Takes a record for `<tagPrefix>.<label>`; false when it was dropped (buffer full or closed). Never throws, never waits. */
  send(label: string, record: Record<string, unknown>, timeMs = Date.now()): boolean {
    return this.take(label, record, timeMs);
  }

  /** As send(), with the record already encoded in the forwarder's encoding (the prediction log's; see fluent-chunk.ts). */
  sendPacked(label: string, record: Uint8Array, timeMs = Date.now()): boolean {
    return this.take(label, record, timeMs);
  }

  private take(label: string, record: Record<string, unknown> | Uint8Array, timeMs: number): boolean {
    if (this.closed || this.pending >= this.opts.bufferMaxRecords) {
      this.drop();
      return false;
    }
    this.counts.accepted += 1;
    let builder = this.builders.get(label);
    if (builder === undefined) this.builders.set(label, (builder = chunkBuilder(this.opts.encoding, `${this.opts.tagPrefix}.${label}`)));
    const bytes = record instanceof Uint8Array ? record : builder.encode(record);
    if (bytes === null) {
      this.counts.lost += 1;
      this.log.error({ label, lost_total: this.counts.lost }, `fluentd log record cannot be encoded (${this.opts.encoding}): lost`);
      return true;
    }
    builder.add(timeMs, bytes);
    this.pending += 1;
    if (builder.count >= CHUNK_MAX_RECORDS || this.closing) this.connection.send(builder.take()!);
    else if (this.flushTimer === null) {
      this.flushTimer = setTimeout(this.flush, FLUSH_INTERVAL_MS);
      this.flushTimer.unref();
    }
    return true;
  }

  stats(): ForwarderStats {
    return { ...this.counts, retried: this.connection.retried, pending: this.pending, connected: this.connection.connected };
  }

  /** Resolves once nothing is held, or after `timeoutMs`; true when nothing is held. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.flush();
    if (this.pending === 0) return true;
    this.connection.retryNow();
    let timeout: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Flushes (waits up to flushTimeoutMs for every held record to be acked), then closes the connection. */
  close(): Promise<ForwarderStats> {
    if (this.closed) return Promise.resolve(this.stats());
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<ForwarderStats> {
    this.closing = true;
    this.connection.ref(true); // keeps the process alive until the flush is done
    // Records keep being taken (and written at once) while close() waits for every held record to be acked.
    await this.drain(this.opts.flushTimeoutMs);
    this.closed = true; // from here on send() drops
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.connection.close(CLOSE_GRACE_MS);
    // Whatever was not acked is lost.
    this.counts.lost_at_close += this.pending;
    this.pending = 0;
    if (this.dropReportTimer) clearTimeout(this.dropReportTimer);
    this.dropReportTimer = null;
    this.reportDrops();
    this.notifyIdle();
    const stats = this.stats();
    if (stats.lost_at_close === 0 && stats.lost === 0) this.log.info({ ...stats }, 'fluentd forwarder closed; every record delivered');
    else this.log.error({ ...stats, flush_timeout_ms: this.opts.flushTimeoutMs }, 'fluentd forwarder closed with records not delivered');
    return stats;
  }

  /** Every tag's records taken so far go to the connection as a chunk. */
  private readonly flush = (): void => {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const builder of this.builders.values()) {
      const chunk = builder.take();
      if (chunk !== null) this.connection.send(chunk);
    }
  };

  private notifyIdle(): void {
    if (this.pending !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  // ---- drops ----

  private drop(): void {
    this.counts.dropped += 1;
    if (this.dropReportTimer !== null || this.closed) return;
    this.dropReportTimer = setTimeout(
      () => {
        this.dropReportTimer = null;
        this.reportDrops();
      },
      Math.max(1_000, this.opts.reconnectIntervalMs),
    );
    this.dropReportTimer.unref();
  }

  private reportDrops(): void {
    const since = this.counts.dropped - this.droppedReported;
    if (since === 0) return;
    this.droppedReported = this.counts.dropped;
    this.log.warn(
      { dropped: since, dropped_total: this.counts.dropped, buffer_max_records: this.opts.bufferMaxRecords },
      'fluentd buffer full: log records dropped',
    );
  }
}
