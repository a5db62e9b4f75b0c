// The messages between the Fluentd forwarder (fluent-forwarder.ts, main thread) and its worker
// thread (fluent-worker.js). Types only.
import type { FluentdEncoding } from '../config-schema.js';

/** The worker's workerData. */
export interface WorkerInit {
  host: string;
  port: number;
  tagPrefix: string;
  /** How records and acks are written on the connection (config logging.fluentd.encoding; fluent-worker.js). */
  encoding: FluentdEncoding;
  reconnectIntervalMs: number;
  ackTimeoutMs: number;
}

/**
 * A record as the main thread hands it over: an object (structured clone, encoded by the worker), or
 * the record already encoded (the prediction log's): in the connection's encoding, a msgpack map
 * (record-msgpack.ts) or the members of a JSON object without its braces (record-json.ts).
 */
export type WireRecord = Record<string, unknown> | Uint8Array;

/** Main thread -> worker. */
export type ToWorker =
  /**
   * Records i of the batch: tag `<tagPrefix>.<labels[i]>`, time times[i] (ms since the epoch), record
   * records[i]: an object, or null for a record already encoded as msgpack (see WireRecord): the
   * encoded records, in order, are concatenated in `packed`, the k-th ending at ends[k] (one buffer
   * is cheaper to copy to the worker than a view per record); `records` null: every record is encoded
   * (the batch has ends.length records). `labels` of one label: the label of every record.
   */
  | {
      t: 'batch';
      id: number;
      labels: string[];
      times: Float64Array;
      records: (Record<string, unknown> | null)[] | null;
      packed: Uint8Array;
      ends: Uint32Array;
    }
  /** Send every record waiting for its retry timer now. */
  | { t: 'drain' }
  /** Wait up to timeoutMs for every held record to be acked, give the others up, close the connection, answer `closed`. */
  | { t: 'close'; timeoutMs: number }
  /** Test seam: throw an uncaught error in the worker (the crash path). */
  | { t: 'crash' };

/** Worker -> main thread. */
export type FromWorker =
  /**
   * Records settled since the last report, as flat [batchId, index, batchId, index, ...] pairs:
   * delivered (acked), failed (given up at close), unencodable (could not be encoded: never sendable).
   * `retried` is the worker's running total of re-sends.
   */
  | { t: 'settled'; delivered: number[]; failed: number[]; unencodable: number[]; unencodableError: string | null; retried: number }
  | { t: 'socket'; event: 'error'; message: string; code: string | undefined }
  | { t: 'socket'; event: 'established' | 'close' }
  /** Answer to `close`, after the last `settled`. */
  | { t: 'closed' };
