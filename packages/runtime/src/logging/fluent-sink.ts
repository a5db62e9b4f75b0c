// Where the prediction log sends its Fluentd records (logging.fluentd.transport): the acked forwarder
// (fluent-forwarder.ts, `forward`) or the pino-fluentd transport (pino-fluentd-sink.ts).
import type { ForwarderStats } from './fluent-forwarder.js';

export interface FluentSink {
  /** Takes a record for `<tag_prefix>.<label>`; false when it was not taken. Never throws, never waits. */
  send(label: string, record: Record<string, unknown>, timeMs: number): boolean;
  /** Flushes what it can within logging.fluentd.flush_timeout_ms, then closes. */
  close(): Promise<unknown>;
  /** Delivery counters, or null when the transport cannot know them (pino-fluentd has no acks). */
  stats(): ForwarderStats | null;
}
