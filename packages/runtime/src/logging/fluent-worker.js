//
// The Fluentd forwarder's worker thread, started by fluent-forwarder.ts: the forward-protocol
// client. It frames the records into Forward-mode chunks ([tag, [[time, record], ...], {chunk, size}]),
// writes them, waits for each chunk's ack (`require_ack_response`), sends unacked chunks again and
// reconnects at a fixed interval, so that none of that runs on the service's main thread. The main
// thread keeps the records and the counters (the bound, `stats()`); this worker reports back which
// records of which batch were acked, so that a worker that dies loses nothing the main thread cannot
// send again.
//
// WHY NOT @fluent-org/logger's FluentClient here (it was, before): it takes record objects and
// msgpack-encodes each one (a new Encoder per record), with a promise per record; at a 64-row /predict
// rate that cost more CPU than the requests and the worker fell behind (records dropped at the bound).
// The prediction records arrive already encoded, so a chunk is a copy of bytes. The protocol part is
// small: the forward protocol without handshake (no shared_key is configured), in one of its two
// encodings (init.encoding, config logging.fluentd.encoding):
//   json     Fluentd's in_forward reads a connection that starts with `[` as JSON: Forward-mode
//            messages ["tag", [[seconds, {record}], ...], {"chunk": id, "size": n}], acks {"ack": id}.
//            A prediction record is the members of its stdout line's object (record-json.ts), so it is
//            serialised once for both outputs. The event time is whole seconds (the record's `time`
//            field keeps the milliseconds).
//   msgpack  what every forward receiver reads (Fluent Bit, Vector...): the same message as msgpack,
//            the event time as EventTime (nanoseconds); prediction records from record-msgpack.ts.
//
// Plain JavaScript, type-checked by tsc through JSDoc (tsconfig allowJs + checkJs): the same file
// runs as a Worker from the sources (vitest) and from dist/ (tsc copies it there), with no loader.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Encoder, decodeMultiStream } from '@msgpack/msgpack';
import { JsonValues } from './json-values.js';

/** @typedef {import('./fluent-worker-protocol.js').WorkerInit} WorkerInit */
/** @typedef {import('./fluent-worker-protocol.js').ToWorker} ToWorker */
/** @typedef {import('./fluent-worker-protocol.js').FromWorker} FromWorker */
/**
 * A record held by this worker: batch and index on the main thread, tag, time, and its encoding as
 * bytes [start, end) of `src` (the batch's packed records, or its own encoding): no view per record.
 * The encoding is a msgpack map, or in JSON the members of the record's object (without its braces).
 * @typedef {{ batch: number, index: number, tag: string, ms: number, src: Buffer, start: number, end: number }} Item
 */

if (!parentPort) throw new Error('fluent-worker.js runs as a worker thread of fluent-forwarder.ts');
const port = parentPort;
const init = /** @type {WorkerInit} */ (workerData);
const interval = init.reconnectIntervalMs;
const json = init.encoding === 'json';
/** An ack longer than this is not an ack: the connection is dropped (and its chunks sent again). */
const ACK_MAX_BYTES = 64 * 1024;
/** Records per chunk at most. */
const CHUNK_MAX_RECORDS = 1_000;
/** An unacked chunk's records are sent again after this delay (the socket may be failing fast). */
const RETRY_DELAY_MS = Math.min(250, interval);

/** @param {FromWorker} message */
const post = (message) => port.postMessage(message);
const encoder = new Encoder();
/** @param {unknown} value */
const pack = (value) => Buffer.from(encoder.encode(value));

let closed = false;
/** Records received and not settled. */
let pending = 0;
let retried = 0;
/** Records waiting to be written (connected or not). @type {Item[]} */
let queue = [];
/**
 * A chunk written and not acked; its ack timer runs from the moment it left this process.
 * @typedef {{ items: Item[], timer: NodeJS.Timeout | undefined }} Chunk
 */
/** Chunks written and not acked, by chunk ID. @type {Map<string, Chunk>} */
const inflight = new Map();
/** @type {import('node:net').Socket | null} */
let socket = null;
let connected = false;
/** @type {NodeJS.Timeout | null} */
let reconnectTimer = null;
/** @type {NodeJS.Timeout | null} */
let retryTimer = null;
/** @type {(() => void)[]} */
let idleWaiters = [];

// Settlements since the last report, as [batchId, index] pairs; reported once per event-loop turn.
/** @type {number[]} */
let delivered = [];
/** @type {number[]} */
let failed = [];
/** @type {number[]} */
let unencodable = [];
/** @type {string | null} */
let unencodableError = null;
let reportScheduled = false;

function report() {
  reportScheduled = false;
  if (delivered.length === 0 && failed.length === 0 && unencodable.length === 0) return;
  post({ t: 'settled', delivered, failed, unencodable, unencodableError, retried });
  delivered = [];
  failed = [];
  unencodable = [];
  unencodableError = null;
}

/**
 * @param {number[]} list
 * @param {Item | { batch: number, index: number }} item
 */
function settle(list, item) {
  list.push(item.batch, item.index);
  pending -= 1;
  if (!reportScheduled) {
    reportScheduled = true;
    setImmediate(report);
  }
  if (pending === 0) {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }
}

const MAX_DEPTH = 64;

/**
 * Whether msgpack can encode the value: what a structured clone can hold, except bigint and cycles
 * (or nesting deeper than MAX_DEPTH).
 * @param {unknown} value
 * @param {number} depth
 * @returns {boolean}
 */
function encodable(value, depth) {
  if (typeof value !== 'object' || value === null) return typeof value !== 'bigint';
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!encodable(v, depth + 1)) return false;
    return true;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date) return true;
  for (const k in value) if (!encodable(/** @type {Record<string, unknown>} */ (value)[k], depth + 1)) return false;
  return true;
}

/**
 * A record the main thread sent as an object, encoded here (JSON: the members of its object, as
 * JSON.stringify writes it, so `{...}` minus the braces; the stdout line has the same values).
 * @param {Record<string, unknown> | null | undefined} wire
 * @returns {Buffer | null} null when it cannot be encoded
 */
function bytesOf(wire) {
  try {
    if (json) {
      const text = JSON.stringify(wire);
      return typeof text === 'string' && text.startsWith('{') ? Buffer.from(text.slice(1, -1), 'utf8') : null;
    }
    return encodable(wire, 0) ? pack(wire) : null;
  } catch {
    return null;
  }
}

/**
 * A Forward-mode chunk of records of one tag.
 * @param {string} tag
 * @param {Item[]} items
 * @param {string} chunkId
 * @returns {Buffer}
 */
function frame(tag, items, chunkId) {
  return json ? frameJson(tag, items, chunkId) : frameMsgpack(tag, items, chunkId);
}

/**
 * @param {string} tag
 * @param {Item[]} items
 * @param {string} chunkId
 */
function frameJson(tag, items, chunkId) {
  const head = Buffer.from(`[${JSON.stringify(tag)},[`, 'utf8');
  const option = Buffer.from(`],${JSON.stringify({ chunk: chunkId, size: items.length })}]`, 'utf8');
  // An entry: [seconds,{members}] and a comma; seconds have at most 11 digits.
  let size = head.length + option.length;
  for (const it of items) size += 17 + it.end - it.start;
  const buf = Buffer.allocUnsafe(size);
  let pos = head.copy(buf, 0);
  for (let i = 0; i < items.length; i++) {
    const it = /** @type {Item} */ (items[i]);
    if (i > 0) buf[pos++] = 0x2c;
    buf[pos++] = 0x5b;
    pos += buf.write(String(Math.floor(it.ms / 1000)), pos, 'latin1');
    buf[pos++] = 0x2c;
    buf[pos++] = 0x7b;
    pos += it.src.copy(buf, pos, it.start, it.end);
    buf[pos++] = 0x7d;
    buf[pos++] = 0x5d;
  }
  pos += option.copy(buf, pos);
  return buf.subarray(0, pos);
}

/**
 * @param {string} tag
 * @param {Item[]} items
 * @param {string} chunkId
 */
function frameMsgpack(tag, items, chunkId) {
  const tagBytes = pack(tag);
  const option = pack({ chunk: chunkId, size: items.length });
  let size = 1 + tagBytes.length + 5 + option.length;
  for (const it of items) size += 11 + it.end - it.start;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  buf[pos++] = 0x93;
  pos += tagBytes.copy(buf, pos);
  buf[pos] = 0xdd;
  buf.writeUInt32BE(items.length, pos + 1);
  pos += 5;
  for (const it of items) {
    // [EventTime, record]: EventTime is ext type 0, seconds and nanoseconds (fixext 8).
    buf[pos] = 0x92;
    buf[pos + 1] = 0xd7;
    buf[pos + 2] = 0x00;
    buf.writeUInt32BE(Math.floor(it.ms / 1000), pos + 3);
    buf.writeUInt32BE((it.ms % 1000) * 1_000_000, pos + 7);
    pos += 11;
    pos += it.src.copy(buf, pos, it.start, it.end);
  }
  option.copy(buf, pos);
  return buf;
}

/**
 * Writes the queued records, in chunks per tag, when connected, while the socket takes more (then the
 * rest waits for its 'drain'). A chunk's ack timer starts when the chunk has left this process (its
 * write callback), not while it waits in the socket's buffer: a receiver that reads slowly is not sent
 * the same records again and again, and what this thread holds stays within what the main thread holds.
 */
function flush() {
  const s = socket;
  if (!connected || s === null || queue.length === 0 || s.writableNeedDrain) return;
  const items = queue;
  queue = [];
  // Records of one tag (the prediction log's, under load) need no grouping.
  const tag = /** @type {Item} */ (items[0]).tag;
  let oneTag = true;
  for (const it of items) if (it.tag !== tag) oneTag = false;
  /** @type {Map<string, Item[]>} */
  const byTag = new Map();
  if (oneTag) byTag.set(tag, items);
  else
    for (const it of items) {
      let list = byTag.get(it.tag);
      if (list === undefined) byTag.set(it.tag, (list = []));
      list.push(it);
    }
  /** @type {Item[][]} */
  const waiting = [];
  for (const [tag, list] of byTag) {
    for (let start = 0; start < list.length; start += CHUNK_MAX_RECORDS) {
      const chunkItems = list.length <= CHUNK_MAX_RECORDS ? list : list.slice(start, start + CHUNK_MAX_RECORDS);
      if (s.writableNeedDrain) {
        waiting.push(chunkItems);
        continue;
      }
      const chunkId = randomBytes(16).toString('base64');
      /** @type {Chunk} */
      const chunk = { items: chunkItems, timer: undefined };
      inflight.set(chunkId, chunk);
      s.write(frame(tag, chunkItems, chunkId), (err) => {
        if (!err && inflight.get(chunkId) === chunk) chunk.timer = setTimeout(() => onAckTimeout(chunkId), init.ackTimeoutMs);
      });
    }
  }
  if (waiting.length > 0) queue = waiting.flat().concat(queue);
}

/** @param {string} chunkId */
function onAck(chunkId) {
  const chunk = inflight.get(chunkId);
  if (chunk === undefined) return; // acked after its timeout: its records were queued again
  inflight.delete(chunkId);
  clearTimeout(chunk.timer);
  for (const it of chunk.items) settle(delivered, it);
}

/** @param {Item[]} items */
function resend(items) {
  if (closed) {
    for (const it of items) settle(failed, it);
    return;
  }
  retried += items.length;
  queue.push(...items);
  retryTimer ??= setTimeout(() => {
    retryTimer = null;
    flush();
  }, RETRY_DELAY_MS);
}

/** @param {string} chunkId */
function onAckTimeout(chunkId) {
  const chunk = inflight.get(chunkId);
  if (chunk === undefined) return;
  inflight.delete(chunkId);
  resend(chunk.items);
}

/** Every chunk written on a connection that is gone is sent again (at-least-once). */
function requeueInflight() {
  const chunks = [...inflight.values()];
  inflight.clear();
  for (const c of chunks) {
    clearTimeout(c.timer);
    resend(c.items);
  }
}

function open() {
  reconnectTimer = null;
  if (closed) return;
  const s = connect({ host: init.host, port: init.port });
  socket = s;
  s.setNoDelay(true);
  s.on('connect', () => {
    connected = true;
    post({ t: 'socket', event: 'established' });
    flush();
    readAcks(s);
    s.on('drain', flush);
  });
  s.on('error', (/** @type {Error & { code?: string }} */ err) =>
    post({ t: 'socket', event: 'error', message: err.message, code: err.code }),
  );
  s.on('close', () => {
    if (socket !== s) return;
    socket = null;
    connected = false;
    post({ t: 'socket', event: 'close' });
    requeueInflight();
    if (!closed) reconnectTimer = setTimeout(open, interval);
  });
}

/**
 * Acks arrive as a stream of maps { ack: chunkId } in the connection's encoding; anything unreadable
 * ends the connection (its chunks are sent again on the next one).
 * @param {import('node:net').Socket} s
 */
function readAcks(s) {
  /** @param {unknown} message */
  const onMessage = (message) => {
    const ack = /** @type {{ ack?: unknown } | null} */ (message)?.ack;
    if (typeof ack === 'string') onAck(ack);
  };
  if (!json) {
    (async () => {
      for await (const message of decodeMultiStream(s)) onMessage(message);
    })().catch(() => s.destroy());
    return;
  }
  const values = new JsonValues(ACK_MAX_BYTES);
  s.on('data', (/** @type {Buffer} */ data) => {
    try {
      for (const value of values.push(data)) onMessage(JSON.parse(value.toString('utf8')));
    } catch {
      s.destroy();
    }
  });
}

function retryNow() {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  flush();
}

/** @param {number} timeoutMs */
async function close(timeoutMs) {
  retryNow();
  if (pending > 0) {
    /** @type {NodeJS.Timeout | undefined} */
    let timeout;
    await Promise.race([
      new Promise((resolve) => idleWaiters.push(() => resolve(true))),
      new Promise((resolve) => (timeout = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timeout);
  }
  closed = true;
  if (reconnectTimer !== null) clearTimeout(reconnectTimer);
  if (retryTimer !== null) clearTimeout(retryTimer);
  // What is still queued or unacked is given up: failed.
  for (const it of queue) settle(failed, it);
  queue = [];
  for (const c of inflight.values()) {
    clearTimeout(c.timer);
    for (const it of c.items) settle(failed, it);
  }
  inflight.clear();
  const s = socket;
  socket = null;
  connected = false;
  if (s !== null && s.writable && !s.connecting) {
    /** @type {NodeJS.Timeout | undefined} */
    let grace;
    await Promise.race([
      new Promise((resolve) => s.end(() => resolve(undefined))),
      new Promise((resolve) => (grace = setTimeout(resolve, 500))),
    ]);
    clearTimeout(grace);
  }
  s?.destroy();
  report();
  post({ t: 'closed' });
}

port.on('message', (/** @type {ToWorker} */ message) => {
  switch (message.t) {
    case 'batch': {
      const { id, labels, times, records, packed, ends } = message;
      const n = records === null ? ends.length : records.length;
      pending += n;
      const src = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
      const oneTag = labels.length === 1 ? `${init.tagPrefix}.${labels[0]}` : null;
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (closed) {
          if (records === null || records[i] === null) k++;
          settle(failed, { batch: id, index: i });
          continue;
        }
        const record = records === null ? null : records[i];
        const tag = oneTag ?? `${init.tagPrefix}.${labels[i]}`;
        const ms = /** @type {number} */ (times[i]);
        if (record === null) {
          const start = k === 0 ? 0 : /** @type {number} */ (ends[k - 1]);
          queue.push({ batch: id, index: i, tag, ms, src, start, end: /** @type {number} */ (ends[k]) });
          k++;
          continue;
        }
        const bytes = bytesOf(record);
        if (bytes === null) {
          unencodableError ??= json
            ? 'a value JSON cannot encode (bigint, a cycle, or not an object)'
            : 'a value msgpack cannot encode (bigint, a cycle, or nesting deeper than 64)';
          settle(unencodable, { batch: id, index: i });
          continue;
        }
        queue.push({ batch: id, index: i, tag, ms, src: bytes, start: 0, end: bytes.length });
      }
      // The main thread already waited FLUSH_INTERVAL_MS for this batch: write it now.
      flush();
      break;
    }
    case 'drain':
      retryNow();
      break;
    case 'close':
      void close(message.timeoutMs);
      break;
    case 'crash':
      setImmediate(() => {
        throw new Error('fluent-worker: crash requested (test)');
      });
      break;
  }
});

open();
