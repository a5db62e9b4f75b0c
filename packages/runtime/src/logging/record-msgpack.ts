// The prediction records of one request as msgpack maps, the form Fluentd's forward protocol
// carries them in, built next to the stdout lines (record-json.ts): the forwarder only copies the
// bytes into its chunks (fluent-chunk.ts), it neither parses nor encodes them.
//
// WHY NOT a generic msgpack encoder per record: that costs more CPU per record than the /predict row itself. Here the keys and what every
// record of the service shares (service, redacted names, the model) are encoded once by
// @msgpack/msgpack and copied; only each row's own values are written per row. A record decodes
// to what JSON.parse of the record's JSON gives (test/logging-lines.test.ts checks it).
import { Encoder } from '@msgpack/msgpack';
import { ByteWriter, RowParts } from './byte-writer.js';
import { EVENT_ID_CHARS, type EventIds } from './event-ids.js';
import { redactedFeatures, requestPart, rowEntity, type AnsweredRows, type RecordContext } from './records.js';

type ModelRef = ReturnType<typeof requestPart>['model'];

const encoder = new Encoder();
/** A value as its own bytes (the Encoder reuses its buffer, so they are copied out). */
const pack = (value: unknown): Buffer => Buffer.from(encoder.encode(value));
const key = (name: string): Buffer => pack(name);

const K = {
  time: key('time'),
  logType: Buffer.concat([key('log_type'), pack('prediction')]),
  eventId: key('event_id'),
  requestId: key('request_id'),
  rowIndex: key('row_index'),
  batchSize: key('batch_size'),
  entityId: key('entity_id'),
  model: key('model'),
  features: key('features'),
  redacted: key('redacted'),
  label: key('label'),
  latency: key('latency_ms'),
  topN: key('top_n'),
  probability: key('probability'),
  value: key('value'),
  service: key('service'),
};

/** The parts of a record every row of a request has (RowParts). */
const PART = { head: 0, requestId: 1, batchSize: 2, latency: 3 } as const;

/** Writes msgpack values. */
class Writer extends ByteWriter {
  mapHeader(n: number): void {
    this.room(3);
    this.buf[this.pos] = 0xde;
    this.buf.writeUInt16BE(n, this.pos + 1);
    this.pos += 3;
  }

  arrayHeader(n: number): void {
    this.room(3);
    this.buf[this.pos] = 0xdc;
    this.buf.writeUInt16BE(n, this.pos + 1);
    this.pos += 3;
  }

  /** Event ID i of `ids` as a msgpack string (str8: 36 ASCII characters). */
  eventIdStr(ids: EventIds, i: number): void {
    this.byte(0xd9); // str8
    this.byte(EVENT_ID_CHARS);
    this.eventId(ids, i);
  }

  str(s: string): void {
    const max = s.length * 3;
    this.room(max + 5);
    const n = this.buf.write(s, this.pos + 5, 'utf8');
    this.buf[this.pos] = 0xdb; // str32: the length is known only after writing
    this.buf.writeUInt32BE(n, this.pos + 1);
    this.pos += 5 + n;
  }

  /** As JSON gives it: an integer as an integer, NaN and the infinities as null. */
  num(x: number): void {
    this.room(9);
    if (Number.isSafeInteger(x)) {
      if (x >= 0 && x < 128) {
        this.buf[this.pos++] = x;
        return;
      }
      if (x >= -2147483648 && x <= 2147483647) {
        this.buf[this.pos] = 0xd2;
        this.buf.writeInt32BE(x, this.pos + 1);
        this.pos += 5;
        return;
      }
    } else if (!Number.isFinite(x)) {
      this.buf[this.pos++] = 0xc0;
      return;
    }
    this.buf[this.pos] = 0xcb;
    this.buf.writeDoubleBE(x, this.pos + 1);
    this.pos += 9;
  }

  /** Any JSON value: primitives here, the rest (rare in a row) through JSON (for its semantics) and the Encoder. */
  value(v: unknown): void {
    if (typeof v === 'string') this.str(v);
    else if (typeof v === 'number') this.num(v);
    else if (v === null) this.raw(NIL);
    else if (typeof v === 'boolean') this.raw(v ? TRUE : FALSE);
    else this.raw(pack(JSON.parse(JSON.stringify(v)) as unknown));
  }
}
const NIL = Buffer.from([0xc0]);
const TRUE = Buffer.from([0xc3]);
const FALSE = Buffer.from([0xc2]);

export class PredictionMsgpack {
  private readonly service: Buffer;
  /** Key and value of each logged feature, in spec order (rowFeatures' keys). */
  private readonly featureKeys: { name: string; key: Buffer }[];
  private readonly topNHeads = new Map<string, Buffer>();
  /** Each class label as a msgpack string, built on first use. */
  private readonly labels = new Map<string, Buffer>();
  /** `"redacted":[…]`: the same for every record of the service. */
  private readonly redacted: Buffer;
  /** `"model":{…}` of the model last logged (the loaded model changes rarely). */
  private modelBytes: { ref: ModelRef; bytes: Buffer } | null = null;
  private readonly w = new Writer(16_384);

  constructor(private readonly ctx: RecordContext) {
    this.service = Buffer.concat([K.service, pack(ctx.service)]);
    this.redacted = Buffer.concat([K.redacted, pack(redactedFeatures(ctx.spec))]);
    this.featureKeys = ctx.spec.features
      .filter((f) => !f.redact && f.name !== '__proto__')
      .map((f) => ({ name: f.name, key: key(f.name) }));
  }

  /** One msgpack map per row, every field of PredictionRecord, in the order of its JSON (record-json.ts). */
  serialise(event: AnsweredRows, now: Date, eventIds: EventIds): Uint8Array[] {
    const shared = requestPart(this.ctx, event, now);
    const model = this.model(shared.model);
    const n = event.predictions.length;
    const w = this.w;
    w.reset();
    const parts = new RowParts(w);
    const ends: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = event.predictions[i]!;
      const row = event.rows[i];
      const own = p.probabilities && p.label !== null ? p.probabilities[p.label] : undefined;
      w.mapHeader(13 + (p.probabilities ? 1 : 0) + (own !== undefined ? 1 : 0) + (p.value !== undefined ? 1 : 0));
      if (parts.first(PART.head)) {
        w.raw(K.time);
        w.str(shared.time);
        w.raw(K.logType);
        w.raw(K.eventId);
        parts.done(PART.head);
      }
      w.eventIdStr(eventIds, i);
      if (parts.first(PART.requestId)) {
        w.raw(K.requestId);
        w.str(event.requestId);
        w.raw(K.rowIndex);
        parts.done(PART.requestId);
      }
      w.num(i);
      if (parts.first(PART.batchSize)) {
        w.raw(K.batchSize);
        w.num(n);
        w.raw(K.entityId);
        parts.done(PART.batchSize);
      }
      w.value(rowEntity(this.ctx, row, p));
      w.raw(model);
      w.raw(K.features);
      this.features(row);
      w.raw(this.redacted);
      w.raw(K.label);
      if (p.label === null) w.raw(NIL);
      else w.raw(this.label(p.label));
      if (parts.first(PART.latency)) {
        w.raw(K.latency);
        w.num(shared.latency_ms);
        parts.done(PART.latency);
      }
      if (p.probabilities) this.topN(p.probabilities);
      if (own !== undefined) {
        w.raw(K.probability);
        w.num(own);
      }
      if (p.value !== undefined) {
        w.raw(K.value);
        w.num(p.value);
      }
      w.raw(this.service);
      ends.push(w.length);
    }
    // One copy per request (not a slice of the reused buffer), and a view of it per row.
    const all = new Uint8Array(w.length);
    all.set(w.bytes());
    const out: Uint8Array[] = [];
    let start = 0;
    for (const end of ends) {
      out.push(all.subarray(start, end));
      start = end;
    }
    return out;
  }

  private label(label: string): Buffer {
    let bytes = this.labels.get(label);
    if (bytes === undefined) this.labels.set(label, (bytes = pack(label)));
    return bytes;
  }

  private model(ref: ModelRef): Buffer {
    const m = this.modelBytes;
    if (m !== null && m.ref.uuid === ref.uuid && m.ref.name === ref.name && m.ref.created_at === ref.created_at) return m.bytes;
    const bytes = Buffer.concat([K.model, pack(ref)]);
    this.modelBytes = { ref, bytes };
    return bytes;
  }

  private features(row: Record<string, unknown> | undefined): void {
    const w = this.w;
    if (row === undefined) return w.mapHeader(0);
    let n = 0;
    for (const { name } of this.featureKeys) if (row[name] !== undefined) n++;
    w.mapHeader(n);
    for (const { name, key } of this.featureKeys) {
      const v = row[name];
      if (v === undefined) continue;
      w.raw(key);
      w.value(v);
    }
  }

  private topN(probabilities: Record<string, number>): void {
    const w = this.w;
    w.raw(K.topN);
    const labels = Object.keys(probabilities);
    w.arrayHeader(labels.length);
    for (const label of labels) {
      let head = this.topNHeads.get(label);
      if (head === undefined) this.topNHeads.set(label, (head = Buffer.concat([Buffer.from([0x82]), K.label, pack(label), K.probability])));
      w.raw(head);
      w.num(probabilities[label]!);
    }
  }
}
