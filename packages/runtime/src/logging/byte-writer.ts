// A growing byte buffer that log records are written into, part by part: the stdout lines
// (record-json.ts) and the Fluentd records (record-msgpack.ts).
//
// WHY BYTES and not string concatenation: a 64-row request logs ~45 KB. Built as strings, V8 joins a
// rope of several hundred parts and the stdout write encodes all of it to UTF-8 again. Here what the
// rows of a request share is written once, by row 0, and copied from there for the others (RowParts),
// and what is ASCII by construction (numbers, UUIDs) goes in without an encoder.

import { EVENT_ID_CHARS, type EventIds } from './event-ids.js';

/** The UTF-8 bytes of a fixed part of a record. */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
/** Strings up to this long are copied in a loop. */
const SHORT_ASCII = 12;

export class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.pos;
  }

  /** What was written, without a copy: valid until the next write or reset. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts over in the same buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** Copies already encoded bytes. */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** One byte. */
  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** A string made only of ASCII characters (a number's digits, a UUID): one byte per character. */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    // Buffer#write costs a call into C++; for a few characters a loop is cheaper.
    if (n > SHORT_ASCII) {
      this.pos += this.buf.write(s, this.pos, n, 'latin1');
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Event ID i of `ids`, as its 36 characters. */
  eventId(ids: EventIds, i: number): void {
    this.room(EVENT_ID_CHARS);
    ids.write(this.buf, this.pos, i);
    this.pos += EVENT_ID_CHARS;
  }

  /** A whole number from 0 to 1e9 (a row index, a count). */
  integer(n: number): void {
    if (!(Number.isInteger(n) && n >= 0 && n < 1e9)) return this.ascii(`${n}`);
    this.room(10);
    this.digits(n);
  }

  /**
   * A finite number as JSON.stringify writes it. Numbers with at most six decimals below 1e9 (feature
   * values as people write them, the rounded probabilities) are written digit by digit: converting a
   * double to a string was the largest single cost of a prediction line. Any other goes through V8.
   */
  number(v: number): void {
    const micros = Math.round(v * 1e6);
    // micros / 1e6 === v: the decimal micros·10⁻⁶ is the double v. It is also its shortest form (what
    // JSON.stringify prints): any other decimal of six places or fewer is at least 10⁻⁶ away, and below
    // 1e9 doubles are closer together than that.
    if (micros / 1e6 !== v || micros <= -1e15 || micros >= 1e15) return this.ascii(`${v}`);
    this.room(24);
    let a = micros;
    if (a < 0) {
      this.buf[this.pos++] = MINUS;
      a = -a;
    }
    // Below 1e9 and 1e6 both parts are int32: `| 0` keeps the digit loops in integer arithmetic.
    const whole = Math.floor(a / 1e6);
    let frac = (a - whole * 1e6) | 0;
    this.digits(whole | 0);
    if (frac === 0) return;
    let places = 6;
    while (frac % 10 === 0) {
      frac = (frac / 10) | 0;
      places--;
    }
    const buf = this.buf;
    const p = this.pos;
    buf[p] = DOT;
    for (let i = places; i > 0; i--) {
      const q = (frac / 10) | 0;
      buf[p + i] = ZERO + frac - q * 10;
      frac = q;
    }
    this.pos = p + places + 1;
  }

  /** A whole number from 0 to 1e9, in decimal; room is the caller's. */
  private digits(n: number): void {
    const buf = this.buf;
    let len = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) len++;
    for (let p = this.pos + len - 1; p >= this.pos; p--) {
      const q = (n / 10) | 0;
      buf[p] = ZERO + n - q * 10;
      n = q;
    }
    this.pos += len;
  }

  /** Any string, UTF-8 encoded, as it is (JSON-quote it first for JSON). */
  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Copies bytes written before, at [start, end), to the end. */
  again(start: number, end: number): void {
    const n = end - start;
    this.room(n);
    this.buf.copyWithin(this.pos, start, end);
    this.pos += n;
  }

  protected room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/**
 * The parts of a request's records that every row has (its time, request ID, latency…): the first row
 * writes part k between `first(k)` and `done(k)`; for every later row `first(k)` copies those bytes and
 * returns false. One RowParts per request and writer.
 */
export class RowParts {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(private readonly w: ByteWriter) {}

  /** True when part k is to be written now (then call done(k)); false when it was copied. */
  first(k: number): boolean {
    const end = this.ends[k];
    if (end !== undefined) {
      this.w.again(this.starts[k]!, end);
      return false;
    }
    this.starts[k] = this.w.length;
    return true;
  }

  done(k: number): void {
    this.ends[k] = this.w.length;
  }
}
