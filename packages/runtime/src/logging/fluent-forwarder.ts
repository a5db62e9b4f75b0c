//
// Forwards log records to Fluentd over the forward protocol (the client is fluent-worker.js).
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
// THREADS. Framing, socket writes and ack handling run in a worker thread (fluent-worker.js), which
// owns the connection, the acks, the re-sends and the reconnects; the prediction records come
// already encoded (as JSON: slices of their stdout lines; as msgpack: record-msgpack.ts), other
// records are encoded by the worker.
// The main thread's part of send() is to push the record onto a batch; every FLUSH_INTERVAL_MS (or
// at BATCH_MAX_RECORDS) the batch goes to the worker in one postMessage (structured clone: measured
// ~2.7 us per prediction record of main-thread CPU, less than JSON.stringify alone; see
// docs/LOGGING.md). The main thread keeps every record until the worker reports it acked, so:
//   - the bound and the counters live on the main thread: stats() is synchronous and exact (a
//     record counts as pending until its ack is reported back, i.e. at most one event-loop turn late);
//   - a worker that dies (uncaught error, out of memory, terminated) does not take the service down:
//     the crash is logged, a new worker is started after WORKER_RESTART_DELAY_MS and every record
//     not reported acked is sent again (at-least-once, same event_id; counted in `retried`). After
//     more than WORKER_MAX_RESTARTS crashes within WORKER_RESTART_WINDOW_MS the forwarder gives up:
//     the records it held are counted in `lost`, later records in `dropped`, and both are logged.
// The record passed to send() is handed over as it is at the next batch (within FLUSH_INTERVAL_MS):
// callers pass a fresh record and do not change it afterwards.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { FromWorker, ToWorker, WireRecord, WorkerInit } from './fluent-worker-protocol.js';
import type { FluentSink } from './fluent-sink.js';
import type { FluentdEncoding } from '../config-schema.js';

/** Records go to the worker (and from it to Fluentd, one chunk per tag) at most this often... */
export const FLUSH_INTERVAL_MS = 20;
/** ...or as soon as this many are waiting. */
export const BATCH_MAX_RECORDS = 1_000;
/** A crashed worker is replaced after this delay... */
export const WORKER_RESTART_DELAY_MS = 200;
/** ...unless it crashed more than this many times within WORKER_RESTART_WINDOW_MS: then the forwarder gives up. */
export const WORKER_MAX_RESTARTS = 5;
export const WORKER_RESTART_WINDOW_MS = 60_000;
/** close() waits this long beyond flushTimeoutMs for the worker to close the connection, then stops it. */
const CLOSE_GRACE_MS = 1_500;

const WORKER_URL = new URL('./fluent-worker.js', import.meta.url);

export interface ForwarderOptions {
  host: string;
  port: number;
  /** Records are tagged `<tagPrefix>.<label>`, e.g. iris-service.prediction. */
  tagPrefix: string;
  /** The connection's encoding: json (Fluentd's in_forward) or msgpack (any forward receiver); fluent-worker.js. */
  encoding: FluentdEncoding;
  bufferMaxRecords: number;
  reconnectIntervalMs: number;
  ackTimeoutMs: number;
  flushTimeoutMs: number;
  /** Where the forwarder reports its own state (connection, drops, worker crashes); the stdout logger. */
  logger: Logger;
}

export interface ForwarderStats {
  /** Records taken into the buffer. */
  accepted: number;
  /** Records acked by Fluentd. */
  delivered: number;
  /** Records refused because the buffer held bufferMaxRecords (or the forwarder had given up, see `lost`). */
  dropped: number;
  /** Sends repeated after a failed or unacked send, or after the worker thread was replaced. */
  retried: number;
  /** Records held now (waiting for the worker, queued, in flight or waiting for a retry). */
  pending: number;
  /** Records still held when close() gave up waiting (Fluentd away at shutdown). */
  lost_at_close: number;
  /**
   * Records accepted and then given up on while running: held when the worker thread kept crashing
   * (the forwarder gave up), or not encodable (not structured-clonable or not msgpack-encodable).
   */
  lost: number;
  /** Worker threads started to replace a crashed one. */
  worker_restarts: number;
  connected: boolean;
}

/** Records handed to a worker, kept until the worker reports each one settled. */
interface HeldBatch {
  labels: string[];
  times: number[];
  records: WireRecord[];
  /** 1 where the record is settled. */
  done: Uint8Array;
  open: number;
}

type DropReason = 'full' | 'unavailable';

export class FluentForwarder implements FluentSink {
  private readonly log: Logger;
  private readonly counts = { accepted: 0, delivered: 0, dropped: 0, lost_at_close: 0, lost: 0, worker_restarts: 0 };
  private pending = 0;
  private connected = false;
  private outageReported = false;
  private closing = false;
  private closed = false;
  private closePromise: Promise<ForwarderStats> | null = null;
  private droppedReported: Record<DropReason, number> = { full: 0, unavailable: 0 };
  private droppedBy: Record<DropReason, number> = { full: 0, unavailable: 0 };
  private dropReportTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  // The batch being filled (not yet posted to the worker).
  private labels: string[] = [];
  private times: number[] = [];
  private records: WireRecord[] = [];
  private batchTimer: NodeJS.Timeout | null = null;

  // The worker and what it holds.
  private worker: Worker | null = null;
  private workerError: unknown = null;
  private readonly held = new Map<number, HeldBatch>();
  private nextBatchId = 1;
  /** `retried` of the workers that are gone, plus records re-posted after crashes. */
  private retriedBefore = 0;
  /** The current worker's running total of re-sends. */
  private retriedNow = 0;
  private crashTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  /** The forwarder gave up on its worker (crash loop): records are dropped and counted. */
  private degraded = false;
  private closedWaiter: (() => void) | null = null;

  constructor(private readonly opts: ForwarderOptions) {
    this.log = opts.logger.child({ component: 'fluentd-forwarder' });
    this.startWorker();
  }

  /** Takes a record for `<tagPrefix>.<label>`; false when it was dropped (buffer full or closed). Never throws, never waits. */
  send(label: string, record: Record<string, unknown>, timeMs = Date.now()): boolean {
    return this.take(label, record, timeMs);
  }

  /** As send(), with the record already encoded in the forwarder's encoding (the prediction log's; see WireRecord). */
  sendPacked(label: string, record: Uint8Array, timeMs = Date.now()): boolean {
    return this.take(label, record, timeMs);
  }

  private take(label: string, record: WireRecord, timeMs: number): boolean {
    if (this.closed || this.degraded || this.pending >= this.opts.bufferMaxRecords) {
      this.drop(this.degraded && !this.closed ? 'unavailable' : 'full');
      return false;
    }
    this.pending += 1;
    this.counts.accepted += 1;
    this.labels.push(label);
    this.times.push(timeMs);
    const n = this.records.push(record);
    if (n >= BATCH_MAX_RECORDS || this.closing) this.flushBatch();
    else if (this.batchTimer === null) this.batchTimer = setTimeout(this.onBatchTimer, FLUSH_INTERVAL_MS);
    return true;
  }

  stats(): ForwarderStats {
    return { ...this.counts, retried: this.retriedBefore + this.retriedNow, pending: this.pending, connected: this.connected };
  }

  /** Resolves once nothing is held, or after `timeoutMs`; true when nothing is held. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.restartTimer !== null) {
      // A crashed worker waiting to be replaced is replaced now.
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
      this.restartWorker();
    }
    this.flushBatch();
    if (this.pending === 0) return true;
    this.post({ t: 'drain' }); // retries waiting for their timer go now
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

  /** Test seam: makes the worker thread throw an uncaught error, as a crash would. */
  crashWorkerForTest(): void {
    this.post({ t: 'crash' });
  }

  private async doClose(): Promise<ForwarderStats> {
    this.closing = true;
    this.worker?.ref(); // keeps the process alive until the flush is done
    // As before the worker thread: records keep being taken (and posted at once) while close() waits
    // for every held record to be acked; a worker that crashes meanwhile is replaced as usual.
    await this.drain(this.opts.flushTimeoutMs);
    this.closed = true; // from here on send() drops
    const worker = this.worker;
    if (worker !== null) {
      // The worker gives up what is left (reported as failed), closes the connection and answers.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.closedWaiter = resolve;
          this.post({ t: 'close', timeoutMs: 0 });
        }),
        new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(grace);
      this.closedWaiter = null;
    }
    this.stopWorker();
    // Whatever the worker did not report acked is lost (it reported the records it gave up as failed).
    this.counts.lost_at_close += this.pending;
    this.pending = 0;
    this.held.clear();
    this.clearBatch();
    this.connected = false;
    if (this.dropReportTimer) clearTimeout(this.dropReportTimer);
    this.dropReportTimer = null;
    this.reportDrops();
    this.notifyIdle();
    const stats = this.stats();
    if (stats.lost_at_close === 0 && stats.lost === 0) this.log.info({ ...stats }, 'fluentd forwarder closed; every record delivered');
    else this.log.error({ ...stats, flush_timeout_ms: this.opts.flushTimeoutMs }, 'fluentd forwarder closed with records not delivered');
    return stats;
  }

  // ---- batches ----

  private readonly onBatchTimer = (): void => {
    this.batchTimer = null;
    this.flushBatch();
  };

  private clearBatch(): void {
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.labels = [];
    this.times = [];
    this.records = [];
  }

  /** Posts the records waiting on the main thread to the worker (kept here while no worker runs). */
  private flushBatch(): void {
    if (this.records.length === 0 || this.worker === null) return;
    const { labels, times, records } = this;
    this.clearBatch();
    this.postBatch(labels, times, records);
  }

  private postBatch(labels: string[], times: number[], records: WireRecord[]): void {
    const id = this.nextBatchId++;
    const batch: HeldBatch = { labels, times, records, done: new Uint8Array(records.length), open: records.length };
    this.held.set(id, batch);
    try {
      const wire = packRecords(records);
      // Cheaper to copy than arrays of a thousand values: one label when all are the same, times as one buffer.
      const oneLabel = labels.every((l) => l === labels[0]);
      const msTimes = Float64Array.from(times);
      const message = { t: 'batch', id, labels: oneLabel ? labels.slice(0, 1) : labels, times: msTimes, ...wire } satisfies ToWorker;
      this.worker!.postMessage(message, [wire.packed.buffer as ArrayBuffer, msTimes.buffer]);
    } catch (err) {
      // A record that cannot be cloned (a function, a symbol...): find it, send the others.
      this.held.delete(id);
      if (records.length > 1) {
        for (let i = 0; i < records.length; i++) this.postBatch([labels[i]!], [times[i]!], [records[i]!]);
      } else {
        this.counts.lost += 1;
        this.pending -= 1;
        this.log.error(
          { err, label: labels[0], lost_total: this.counts.lost },
          'fluentd log record cannot be copied to the forwarder thread: lost',
        );
        this.notifyIdle();
      }
    }
  }

  // ---- the worker ----

  private startWorker(): void {
    const init: WorkerInit = {
      host: this.opts.host,
      port: this.opts.port,
      tagPrefix: this.opts.tagPrefix,
      encoding: this.opts.encoding,
      reconnectIntervalMs: this.opts.reconnectIntervalMs,
      ackTimeoutMs: this.opts.ackTimeoutMs,
    };
    let worker: Worker;
    try {
      // stdout/stderr: true keeps the worker's output off the parent's process.stdout and process.stderr:
      // piping it there would open fd 1 and 2 as libuv pipes, which makes them non-blocking, and the
      // stdout lines are written to fd 1 with synchronous writes (stdout.ts) that, on a full pipe (a
      // container runtime reading slowly), would then fail with EAGAIN and wait 100 ms each.
      worker = new Worker(WORKER_URL, { workerData: init, stdout: true, stderr: true });
    } catch (err) {
      this.workerError = err;
      this.worker = null;
      queueMicrotask(() => this.onWorkerExit(null, -1));
      return;
    }
    this.worker = worker;
    this.workerError = null;
    const output = (stream: string) => (chunk: Buffer) =>
      this.log.warn({ stream, output: chunk.toString('utf8').slice(0, 2_000) }, 'fluentd forwarder: output of its worker thread');
    worker.stdout.on('data', output('stdout'));
    worker.stderr.on('data', output('stderr'));
    this.retriedNow = 0;
    // An open forwarder does not keep the process alive on its own (close() refs it while flushing).
    if (!this.closing) worker.unref();
    // Messages of a worker that was replaced are ignored (its records were handed to the new one).
    worker.on('message', (m: FromWorker) => {
      if (worker === this.worker) this.onMessage(m);
    });
    worker.on('error', (err) => {
      this.workerError = err;
    });
    worker.on('messageerror', (err) => this.log.error({ err }, 'fluentd forwarder: a message from the worker could not be read'));
    worker.on('exit', (code) => this.onWorkerExit(worker, code));
  }

  private stopWorker(): void {
    const worker = this.worker;
    this.worker = null;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (worker) {
      worker.removeAllListeners();
      worker.on('error', () => undefined);
      void worker.terminate().catch(() => undefined);
    }
  }

  private onWorkerExit(worker: Worker | null, code: number): void {
    if (worker !== this.worker) return; // stopped on purpose
    this.worker = null;
    this.connected = false;
    this.outageReported = false;
    this.retriedBefore += this.retriedNow;
    this.retriedNow = 0;
    const err = this.workerError;
    const error =
      err instanceof Error
        ? { message: err.message, code: (err as { code?: string }).code, stack: err.stack }
        : err === null
          ? undefined
          : String(err);
    if (this.closed) {
      // close() gave up waiting and is closing the connection: what the worker held is lost at close.
      this.log.error({ err: error, exit_code: code, pending: this.pending }, 'fluentd forwarder worker exited during close');
      this.closedWaiter?.();
      return;
    }
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < WORKER_RESTART_WINDOW_MS);
    this.crashTimes.push(now);
    if (this.crashTimes.length > WORKER_MAX_RESTARTS) {
      this.degrade(error, code);
      return;
    }
    this.log.error(
      { err: error, exit_code: code, pending: this.pending, restart_in_ms: WORKER_RESTART_DELAY_MS },
      'fluentd forwarder worker crashed; held records will be sent again by a new worker',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restartWorker();
    }, WORKER_RESTART_DELAY_MS);
    if (!this.closing) this.restartTimer.unref();
  }

  /** Starts a new worker and hands it every record the old one did not report settled. */
  private restartWorker(): void {
    this.counts.worker_restarts += 1;
    this.startWorker();
    if (this.worker === null) return;
    const batches = [...this.held.values()];
    this.held.clear();
    let resent = 0;
    for (const b of batches) {
      const labels: string[] = [];
      const times: number[] = [];
      const records: WireRecord[] = [];
      for (let i = 0; i < b.records.length; i++) {
        if (b.done[i]) continue;
        labels.push(b.labels[i]!);
        times.push(b.times[i]!);
        records.push(b.records[i]!);
      }
      if (records.length === 0) continue;
      resent += records.length;
      this.postBatch(labels, times, records);
    }
    this.retriedBefore += resent;
    this.flushBatch();
    this.log.warn({ resent, pending: this.pending, worker_restarts: this.counts.worker_restarts }, 'fluentd forwarder worker restarted');
  }

  /** Too many crashes: stop forwarding, count what was held as lost and what comes next as dropped. */
  private degrade(error: unknown, code: number): void {
    this.degraded = true;
    const lostNow = this.pending;
    this.counts.lost += lostNow;
    this.pending = 0;
    this.held.clear();
    this.clearBatch();
    this.notifyIdle();
    this.log.error(
      {
        err: error,
        exit_code: code,
        lost: lostNow,
        lost_total: this.counts.lost,
        crashes: this.crashTimes.length,
        window_ms: WORKER_RESTART_WINDOW_MS,
      },
      'fluentd forwarder worker keeps crashing: forwarding stopped; records are dropped and counted (stdout logging continues)',
    );
  }

  private post(message: ToWorker): void {
    try {
      this.worker?.postMessage(message);
    } catch {
      // The worker is gone: its exit handler deals with it.
    }
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'settled': {
        this.retriedNow = m.retried;
        this.counts.delivered += this.settle(m.delivered);
        this.counts.lost_at_close += this.settle(m.failed);
        const unencodable = this.settle(m.unencodable);
        if (unencodable > 0) {
          this.counts.lost += unencodable;
          this.log.error(
            { err: { message: m.unencodableError }, lost: unencodable, lost_total: this.counts.lost },
            `fluentd log record cannot be encoded (${this.opts.encoding}): lost`,
          );
        }
        if (this.pending === 0) this.notifyIdle();
        break;
      }
      case 'socket':
        if (m.event === 'established') {
          this.connected = true;
          this.outageReported = false;
          this.log.info(
            { host: this.opts.host, port: this.opts.port, pending: this.pending, dropped_total: this.counts.dropped },
            'fluentd connected',
          );
        } else if (m.event === 'error') {
          this.connected = false;
          // Reported once per outage, not once per reconnect attempt.
          if (this.outageReported || this.closing) return;
          this.outageReported = true;
          this.log.warn(
            {
              err: { message: m.message, code: m.code },
              host: this.opts.host,
              port: this.opts.port,
              retry_in_ms: this.opts.reconnectIntervalMs,
            },
            'fluentd unreachable; records are buffered',
          );
        } else {
          this.connected = false;
        }
        break;
      case 'closed':
        this.closedWaiter?.();
        break;
    }
  }

  /** Marks [batchId, index] pairs settled; returns how many were not settled before. */
  private settle(pairs: number[]): number {
    let n = 0;
    for (let k = 0; k < pairs.length; k += 2) {
      const id = pairs[k]!;
      const batch = this.held.get(id);
      if (batch === undefined) continue;
      const i = pairs[k + 1]!;
      if (batch.done[i]) continue;
      batch.done[i] = 1;
      n += 1;
      if (--batch.open === 0) this.held.delete(id);
    }
    this.pending -= n;
    return n;
  }

  private notifyIdle(): void {
    if (this.pending !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  // ---- drops ----

  private drop(reason: DropReason): void {
    this.counts.dropped += 1;
    this.droppedBy[reason] += 1;
    this.scheduleDropReport();
  }

  private scheduleDropReport(): void {
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
    for (const reason of ['full', 'unavailable'] as const) {
      const since = this.droppedBy[reason] - this.droppedReported[reason];
      if (since === 0) continue;
      this.droppedReported[reason] = this.droppedBy[reason];
      if (reason === 'full')
        this.log.warn(
          { dropped: since, dropped_total: this.counts.dropped, buffer_max_records: this.opts.bufferMaxRecords },
          'fluentd buffer full: log records dropped',
        );
      else
        this.log.warn(
          { dropped: since, dropped_total: this.counts.dropped, lost_total: this.counts.lost },
          'fluentd forwarder stopped (worker kept crashing): log records dropped',
        );
    }
  }
}

/** A batch's records for the worker: objects as they are, the encoded ones concatenated. */
function packRecords(records: WireRecord[]): { records: (Record<string, unknown> | null)[] | null; packed: Uint8Array; ends: Uint32Array } {
  let size = 0;
  let count = 0;
  for (const r of records) {
    if (r instanceof Uint8Array) {
      size += r.length;
      count++;
    }
  }
  const packed = new Uint8Array(size);
  const ends = new Uint32Array(count);
  const out: (Record<string, unknown> | null)[] = new Array(records.length);
  let pos = 0;
  let k = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r instanceof Uint8Array) {
      packed.set(r, pos);
      pos += r.length;
      ends[k++] = pos;
      out[i] = null;
    } else out[i] = r;
  }
  return { records: count === records.length ? null : out, packed, ends };
}
