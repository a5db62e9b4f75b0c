// logging.fluentd.transport: pino-fluentd. The records go through pino-fluentd, the pino transport
// (a worker thread running fluent-logger 3): fire-and-forget, no acks, no bound that we can see or
// count. docs/LOGGING.md says what that costs; `forward` (fluent-forwarder.ts) is the default.
//
// One transport per label, opened at its first record: pino-fluentd tags every record of a transport
// `<tag>.<key>`, so tag = tag_prefix and key = label give the same tags as `forward`, which
// efk/fluentd.conf routes on.
//
// pino-fluentd turns any socket error of its client (Fluentd absent at start-up, Fluentd restarted)
// into an error of its stream, which ends the transport's worker thread for good, and that error
// crashes the service unless handled. So every transport's `error` is handled here: the failure is
// logged, records of that label are not sent for reconnect_interval_ms (they are lost, as is
// whatever the dead transport still held), then a new transport is opened at the next record.
// stats() is null: without acks nothing here knows what Fluentd received.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import type { FluentSink } from './fluent-sink.js';

const PINO_FLUENTD = createRequire(import.meta.url).resolve('pino-fluentd');

export interface PinoFluentdSinkOptions {
  host: string;
  port: number;
  tagPrefix: string;
  reconnectIntervalMs: number;
  flushTimeoutMs: number;
  /** Where the sink reports its own state (transport failures, close); the stdout logger. */
  logger: Logger;
}

type TransportStream = EventEmitter & { end(): void; closed?: boolean };

interface Channel {
  logger: Logger;
  stream: TransportStream;
  dead: boolean;
}

export class PinoFluentdSink implements FluentSink {
  private readonly log: Logger;
  private readonly channels = new Map<string, Channel>();
  /** Per label: no new transport before this time (after a failure). */
  private readonly retryAt = new Map<string, number>();
  /** What this side knows: records handed to a transport, records not sent (transport down), transport failures. */
  private readonly counts = { handed: 0, not_sent: 0, transport_failures: 0 };
  private closed = false;

  constructor(private readonly opts: PinoFluentdSinkOptions) {
    this.log = opts.logger.child({ component: 'pino-fluentd' });
  }

  /** pino-fluentd sets Fluentd's event time itself (when it sends); the record keeps its own `time`. */
  send(label: string, record: Record<string, unknown>, _timeMs?: number): boolean {
    if (this.closed) return false;
    let ch = this.channels.get(label);
    if (ch === undefined || ch.dead) {
      if (Date.now() < (this.retryAt.get(label) ?? 0)) {
        this.counts.not_sent += 1;
        return false;
      }
      ch = this.open(label);
    }
    ch.logger.info(record);
    this.counts.handed += 1;
    return true;
  }

  stats(): null {
    return null;
  }

  /** Ends every transport (each flushes what it holds) and waits for them, at most flushTimeoutMs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const live = [...this.channels.values()].filter((c) => !c.dead && c.stream.closed !== true);
    let timer: NodeJS.Timeout | undefined;
    const ended = Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.stream.once('close', () => resolve());
            c.stream.end();
          }),
      ),
    );
    const inTime = await Promise.race([
      ended.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.opts.flushTimeoutMs))),
    ]);
    clearTimeout(timer);
    const fields = { ...this.counts, flush_timeout_ms: this.opts.flushTimeoutMs };
    if (inTime) this.log.info(fields, 'pino-fluentd transports closed (no acks: what Fluentd received is not known)');
    else this.log.warn(fields, 'pino-fluentd transports did not close within flush_timeout_ms');
  }

  private open(label: string): Channel {
    const { host, port, tagPrefix, reconnectIntervalMs } = this.opts;
    const stream = pino.transport({
      target: PINO_FLUENTD,
      // trace-level: pino-fluentd forwards only records at or above it (its default is `error`).
      options: { host, port, tag: tagPrefix, key: label, 'trace-level': 'trace', 'reconnect-interval': reconnectIntervalMs },
    }) as unknown as TransportStream;
    // No pino `time` (pino-fluentd keeps an ISO `time`, and the record has its own) and no pid/hostname:
    // the record as built, plus the `level` that pino-fluentd filters on.
    const logger = pino({ base: null, timestamp: false, level: 'info' }, stream as never);
    const ch: Channel = { logger, stream, dead: false };
    stream.on('error', (err: unknown) => {
      if (ch.dead) return;
      ch.dead = true;
      this.counts.transport_failures += 1;
      this.retryAt.set(label, Date.now() + reconnectIntervalMs);
      if (!this.closed)
        this.log.warn(
          { err, tag: `${tagPrefix}.${label}`, retry_in_ms: reconnectIntervalMs, ...this.counts },
          'pino-fluentd transport failed; records of this tag are lost until a new one is started',
        );
    });
    this.channels.set(label, ch);
    return ch;
  }
}
