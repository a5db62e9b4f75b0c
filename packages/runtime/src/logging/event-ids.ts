// The event IDs of a request's prediction records (one per row): random UUIDs, version 4.
//
// WHY BYTES: crypto.randomUUID builds each ID as a string from its parts, a score of short-lived
// strings per ID, which the line writer then copies back into bytes; with one ID per row, that was
// much of the garbage a batch /predict made. Here the random bytes are drawn as randomUUID draws its
// own (crypto.randomFillSync, a pool at a time) and written as hex straight into the stdout line and
// the msgpack record (ByteWriter.eventId); a string is made only where a record needs one (pino-fluentd).
import { randomFillSync } from 'node:crypto';

/** Bytes of one UUID. */
const ID_BYTES = 16;
/** Characters of one UUID as text: 32 hex digits and 4 dashes. */
export const EVENT_ID_CHARS = 36;
/** IDs drawn from the system's random source at a time. */
const POOL_IDS = 256;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
/** Where each byte's two hex digits go in the text, and where its dashes are. */
const HEX_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASH_AT = [8, 13, 18, 23];
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Random bytes not handed out yet: a view into the last buffer filled, never written again once handed out. */
let pool = Buffer.alloc(0);

function randomBytes(n: number): Buffer {
  if (n > pool.length) {
    if (n > POOL_IDS * ID_BYTES) return randomFillSync(Buffer.allocUnsafe(n));
    pool = randomFillSync(Buffer.allocUnsafe(POOL_IDS * ID_BYTES));
  }
  const bytes = pool.subarray(0, n);
  pool = pool.subarray(n);
  return bytes;
}

export class EventIds {
  private constructor(
    /** 16 bytes per ID, the version and variant bits set (RFC 9562, section 5.4). */
    private readonly bytes: Uint8Array,
    readonly count: number,
  ) {}

  /** `count` new random IDs. */
  static draw(count: number): EventIds {
    const bytes = randomBytes(count * ID_BYTES);
    for (let at = 0; at < bytes.length; at += ID_BYTES) {
      bytes[at + 6] = (bytes[at + 6]! & 0x0f) | 0x40;
      bytes[at + 8] = (bytes[at + 8]! & 0x3f) | 0x80;
    }
    return new EventIds(bytes, count);
  }

  /** IDs already chosen, as UUID text (any case; written back in lower case). */
  static of(ids: readonly string[]): EventIds {
    const bytes = Buffer.alloc(ids.length * ID_BYTES);
    ids.forEach((id, i) => {
      if (!UUID_TEXT.test(id)) throw new TypeError(`event ID ${JSON.stringify(id)} is not a UUID`);
      bytes.write(id.replaceAll('-', ''), i * ID_BYTES, ID_BYTES, 'hex');
    });
    return new EventIds(bytes, ids.length);
  }

  /** Writes ID i as its 36 characters (lower-case hex, 8-4-4-4-12) into `buf` at `pos`; the room is the caller's. */
  write(buf: Uint8Array, pos: number, i: number): void {
    const bytes = this.bytes;
    const first = i * ID_BYTES;
    for (let k = 0; k < ID_BYTES; k++) {
      const b = bytes[first + k]!;
      const at = pos + HEX_AT[k]!;
      buf[at] = HEX[b >> 4]!;
      buf[at + 1] = HEX[b & 0x0f]!;
    }
    for (const d of DASH_AT) buf[pos + d] = DASH;
  }

  /** ID i as text. */
  string(i: number): string {
    const text = Buffer.allocUnsafe(EVENT_ID_CHARS);
    this.write(text, 0, i);
    return text.toString('latin1');
  }

  strings(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.string(i));
  }
}
