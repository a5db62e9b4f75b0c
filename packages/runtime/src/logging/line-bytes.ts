// A growing byte buffer that JSON lines are written into, part by part (record-json.ts).
//
// WHY BYTES and not string concatenation: a 64-row request logs ~45 KB. Built as strings, V8 joins a
// rope of several hundred parts and the stdout write encodes all of it to UTF-8 again; here the parts a
// request's rows share are encoded once and copied, and what is ASCII by construction (numbers, UUIDs)
// goes in without an encoder.

/** The UTF-8 bytes of a fixed part of a line. */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

export class LineBytes {
  private buf: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.pos;
  }

  /** What was written, without a copy: valid until the next write. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Copies already encoded bytes. */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** One byte (an ASCII character code). */
  byte(code: number): void {
    this.room(1);
    this.buf[this.pos++] = code;
  }

  /** A string made only of ASCII characters (a number's digits, a UUID): one byte per character. */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any string, UTF-8 encoded (as is: JSON-quote it first). */
  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** JSON.stringify(v), byte for byte: finite numbers without the generic serialiser, everything else through it. */
  json(v: unknown): void {
    if (typeof v === 'number') this.ascii(Number.isFinite(v) ? `${v}` : 'null');
    else this.text(JSON.stringify(v));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
