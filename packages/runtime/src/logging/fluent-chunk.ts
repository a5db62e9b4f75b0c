// Forward-mode chunks of Fluentd's forward protocol, [tag, [[time, record], ...], {chunk, size}], built
// as the records arrive: each record's bytes are copied once, into its chunk, which is what goes on the
// socket (and on it again when it is not acked). Two encodings (config logging.fluentd.encoding):
//   json     Fluentd's in_forward reads a connection that starts with `[` as JSON values; a record is
//            given as the members of its JSON object without the braces (a prediction record: a slice
//            of its stdout line, record-json.ts). The event time is whole seconds (the record's `time`
//            field keeps the milliseconds).
//   msgpack  what every forward receiver reads (Fluent Bit, Vector...): a record is a msgpack map
//            (record-msgpack.ts); the event time is EventTime (nanoseconds).
import { randomBytes } from 'node:crypto';
import { Encoder } from '@msgpack/msgpack';
import type { FluentdEncoding } from '../config-schema.js';

/** A chunk ready to be written: its ID (what Fluentd's ack names) and its records. */
export interface Chunk {
  id: string;
  bytes: Buffer;
  count: number;
  /** The builder that made it, which takes `buffer` (bytes are its start) back once it is acked (recycle). */
  owner: ChunkBuilder;
  buffer: Buffer;
}

const MIN_CAPACITY = 16 * 1024;
/** Buffers of acked chunks kept for the next chunks, per builder. */
const SPARE_BUFFERS = 4;
const MAX_DEPTH = 64;
const encoder = new Encoder();
const pack = (value: unknown): Buffer => {
  const bytes = encoder.encode(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

/** Records of one tag, appended to a growing buffer until take() closes them into a Chunk. */
export abstract class ChunkBuilder {
  count = 0;
  protected buf: Buffer;
  protected pos = 0;
  private lastSize = MIN_CAPACITY;
  // Reused: a fresh buffer per chunk is memory outside the JavaScript heap that lives until the chunk's
  // ack and then until a full garbage collection, which that memory's growth makes V8 run more often.
  private readonly spare: Buffer[] = [];

  constructor(protected readonly tag: string) {
    this.buf = Buffer.allocUnsafe(MIN_CAPACITY);
  }

  /** Appends one record: bytes [start, end) of `record`, in this builder's encoding (see encode). */
  add(ms: number, record: Uint8Array, start = 0, end = record.length): void {
    if (this.count === 0) this.begin();
    this.entry(ms, record, start, end);
    this.count += 1;
  }

  /** A record given as an object, in this builder's encoding; null when it cannot be encoded. */
  abstract encode(record: Record<string, unknown>): Uint8Array | null;

  /** The records added so far as a chunk (null when there are none); the builder starts a new one. */
  take(): Chunk | null {
    if (this.count === 0) return null;
    const id = randomBytes(16).toString('base64');
    this.end(id);
    const chunk: Chunk = { id, bytes: this.buf.subarray(0, this.pos), count: this.count, owner: this, buffer: this.buf };
    // The next chunk of a steady stream is about as large as this one: sized so that it rarely grows.
    this.lastSize = Math.max(MIN_CAPACITY, Math.ceil(this.pos * 1.25));
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.lastSize);
    this.pos = 0;
    this.count = 0;
    return chunk;
  }

  /** Takes back the buffer of one of its chunks that was acked (nothing refers to it any more). */
  recycle(chunk: Chunk): void {
    if (this.spare.length < SPARE_BUFFERS && chunk.buffer.length >= this.lastSize) this.spare.push(chunk.buffer);
  }

  /** Writes the chunk's head (before its first record). */
  protected abstract begin(): void;
  /** Writes one [time, record] entry. */
  protected abstract entry(ms: number, record: Uint8Array, start: number, end: number): void;
  protected abstract end(chunkId: string): void;

  protected reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  protected put(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.reserve(end - start);
    this.buf.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), this.pos);
    this.pos += end - start;
  }
}

class JsonChunkBuilder extends ChunkBuilder {
  /** The digits of the last event time's seconds (the records of one second share them). */
  private seconds = -1;
  private digits: Buffer = Buffer.alloc(0);

  protected entry(ms: number, record: Uint8Array, start: number, end: number): void {
    const seconds = Math.floor(ms / 1000);
    if (seconds !== this.seconds) {
      this.seconds = seconds;
      this.digits = Buffer.from(String(seconds), 'latin1');
    }
    // ,[seconds,{members}]
    this.reserve(end - start + this.digits.length + 6);
    const buf = this.buf;
    if (this.count > 0) buf[this.pos++] = 0x2c;
    buf[this.pos++] = 0x5b;
    for (let i = 0; i < this.digits.length; i++) buf[this.pos++] = this.digits[i]!;
    buf[this.pos++] = 0x2c;
    buf[this.pos++] = 0x7b;
    this.put(record, start, end);
    this.buf[this.pos++] = 0x7d;
    this.buf[this.pos++] = 0x5d;
  }

  /** The members of the record's object as JSON.stringify writes it (so `{...}` without the braces). */
  encode(record: Record<string, unknown>): Uint8Array | null {
    try {
      const text = JSON.stringify(record);
      return typeof text === 'string' && text.startsWith('{') ? Buffer.from(text.slice(1, -1), 'utf8') : null;
    } catch {
      return null; // a bigint or a cycle
    }
  }

  protected begin(): void {
    this.put(Buffer.from(`[${JSON.stringify(this.tag)},[`, 'utf8'));
  }

  protected end(chunkId: string): void {
    this.put(Buffer.from(`],${JSON.stringify({ chunk: chunkId, size: this.count })}]`, 'utf8'));
  }
}

class MsgpackChunkBuilder extends ChunkBuilder {
  /** Where the entries' array32 count goes, written at end(). */
  private countAt = 0;

  protected entry(ms: number, record: Uint8Array, start: number, end: number): void {
    // [EventTime, record]: EventTime is ext type 0, seconds and nanoseconds (fixext 8).
    this.reserve(end - start + 11);
    const buf = this.buf;
    buf[this.pos] = 0x92;
    buf[this.pos + 1] = 0xd7;
    buf[this.pos + 2] = 0x00;
    buf.writeUInt32BE(Math.floor(ms / 1000), this.pos + 3);
    buf.writeUInt32BE((ms % 1000) * 1_000_000, this.pos + 7);
    this.pos += 11;
    this.put(record, start, end);
  }

  encode(record: Record<string, unknown>): Uint8Array | null {
    try {
      return encodable(record, 0) ? pack(record) : null;
    } catch {
      return null;
    }
  }

  protected begin(): void {
    this.put(Buffer.from([0x93]));
    this.put(pack(this.tag));
    this.reserve(5);
    this.buf[this.pos] = 0xdd;
    this.countAt = this.pos + 1;
    this.pos += 5;
  }

  protected end(chunkId: string): void {
    this.buf.writeUInt32BE(this.count, this.countAt);
    this.put(pack({ chunk: chunkId, size: this.count }));
  }
}

/**
 * Whether msgpack can encode the value: no bigint, no function or symbol, no cycle (nor nesting deeper
 * than MAX_DEPTH), which @msgpack/msgpack would otherwise reject or recurse on.
 */
function encodable(value: unknown, depth: number): boolean {
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') return false;
  if (typeof value !== 'object' || value === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((v) => encodable(v, depth + 1));
  if (ArrayBuffer.isView(value) || value instanceof Date) return true;
  for (const k in value) if (!encodable((value as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

export function chunkBuilder(encoding: FluentdEncoding, tag: string): ChunkBuilder {
  return encoding === 'json' ? new JsonChunkBuilder(tag) : new MsgpackChunkBuilder(tag);
}
