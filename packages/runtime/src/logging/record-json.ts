// The prediction records of one request serialised once into their stdout lines, as UTF-8 bytes.
// Fluentd gets the same bytes when the forwarder speaks JSON (recordMembers: a line without its
// `level` and `msg`); for msgpack the records are encoded again (record-msgpack.ts).
//
// WHY NOT the logger (pino) per row: it serialises every field of every row again (model, service,
// redacted names, request ID), runs redaction and a clock per line; that was most of the CPU of a
// 64-row /predict. Here what a request's rows share is written once per request and copied into
// each line (byte-writer.ts), and each row's own values are written as JSON.stringify writes them,
// so that a line is byte for byte what JSON.stringify of predictionRecords' record gives
// (test/logging-lines.test.ts checks it on the service's own spec). fast-json-stringify was measured
// too: no faster than JSON.stringify on these records; the cost was in the shared parts and the rope
// of strings, which bytes avoid.
import type { Prediction } from '../model/runtime.js';
import { ByteWriter, RowParts, utf8 } from './byte-writer.js';
import type { EventIds } from './event-ids.js';
import { latencyMs, modelRef, redactedFeatures, rowEntity, type AnsweredRows, type RecordContext } from './records.js';

const OPEN_BRACE = 0x7b;
const NULL = utf8('null');
const REQUEST_ID = utf8('","request_id":');
const ROW_INDEX = utf8(',"row_index":');
const BATCH_SIZE = utf8(',"batch_size":');
const ENTITY_ID = utf8(',"entity_id":');
const LATENCY = utf8(',"latency_ms":');
const NO_TOP_N = utf8(',"top_n":[]');
const TOP_N_END = utf8('}]');
const TOP_N_END_PROBABILITY = utf8('}],"probability":');
const PROBABILITY = utf8(',"probability":');
const VALUE = utf8(',"value":');
const LINE_END = utf8(',"msg":"prediction"}\n');
/** The parts of a line every row of a request has (RowParts). */
const PART = { head: 0, requestId: 1, batchSize: 2, model: 3, latency: 4 } as const;

/** Writes JSON values as JSON.stringify does, byte for byte. */
class JsonWriter extends ByteWriter {
  /** JSON.stringify(v): finite numbers without the generic serialiser, everything else through it. */
  json(v: unknown): void {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) this.number(v);
      else this.raw(NULL);
    } else this.string(JSON.stringify(v));
  }

  /** A string's JSON as it is: one byte per character when it is ASCII (request IDs, UUIDs), else through the encoder. */
  string(json: string): void {
    for (let i = 0; i < json.length; i++) if (json.charCodeAt(i) > 0x7f) return this.text(json);
    this.ascii(json);
  }
}

export class PredictionJson {
  /** `{"level":…,"time":"`: the line's start, before its time. */
  private readonly lineStart: Buffer;
  /** The bytes of `{"level":…,` that start a line before the record's first member. */
  private readonly levelBytes: number;
  /** `","service":…,"log_type":"prediction","event_id":"`: after the time, before the event ID. */
  private readonly afterTime: Buffer;
  /** `,"redacted":[…],"label":`: the same for every record of the service. */
  private readonly redacted: string;
  /** `},"redacted":[…],"label":null`: the end of the features and the label of a regression. */
  private readonly nullLabel: Buffer;
  /** The logged features in spec order (rowFeatures' keys): `{"name":` as the first key and `,"name":` after it. */
  private readonly featureKeys: { name: string; first: Buffer; next: Buffer }[];
  /** Per class label, built on first use: the byte runs around it (see Label). */
  private readonly labels = new Map<string, Label>();
  /** `,"model":{…},"features":` of the last model seen (a service serves one model at a time). */
  private model: { of: AnsweredRows['model']; bytes: Buffer } | null = null;
  /** The size the last request's lines took: the next one starts with room for as much. */
  private lastSize = 1024;

  constructor(
    private readonly ctx: RecordContext,
    level = 'info',
  ) {
    const levelPart = `{"level":${JSON.stringify(level)},`;
    this.levelBytes = utf8(levelPart).length;
    this.lineStart = utf8(`${levelPart}"time":"`);
    this.afterTime = utf8(`","service":${JSON.stringify(ctx.service)},"log_type":"prediction","event_id":"`);
    this.redacted = `,"redacted":${JSON.stringify(redactedFeatures(ctx.spec))},"label":`;
    this.nullLabel = utf8(`}${this.redacted}null`);
    // As rowFeatures builds its plain object: a feature named __proto__ never becomes an own key there.
    this.featureKeys = ctx.spec.features
      .filter((f) => !f.redact && f.name !== '__proto__')
      .map((f) => ({ name: f.name, first: utf8(`{${JSON.stringify(f.name)}:`), next: utf8(`,${JSON.stringify(f.name)}:`) }));
  }

  /**
   * The stdout lines of every row, each ending in a newline, as the logger writes them: level, time,
   * its base `service`, the record's fields, msg. The bytes are the caller's (a new buffer each call).
   * `ends`, when given, gets the end of each line (after its newline).
   */
  serialise(event: AnsweredRows, now: Date, eventIds: EventIds, ends?: number[]): Buffer {
    const out = new JsonWriter(this.lastSize);
    const parts = new RowParts(out);
    const n = event.predictions.length;
    for (let i = 0; i < n; i++) {
      const p = event.predictions[i]!;
      const row = event.rows[i];
      if (parts.first(PART.head)) {
        out.raw(this.lineStart);
        out.ascii(now.toISOString());
        out.raw(this.afterTime);
        parts.done(PART.head);
      }
      out.eventId(eventIds, i);
      if (parts.first(PART.requestId)) {
        out.raw(REQUEST_ID);
        out.string(JSON.stringify(event.requestId));
        out.raw(ROW_INDEX);
        parts.done(PART.requestId);
      }
      out.integer(i);
      if (parts.first(PART.batchSize)) {
        out.raw(BATCH_SIZE);
        out.integer(n);
        out.raw(ENTITY_ID);
        parts.done(PART.batchSize);
      }
      const entity = rowEntity(this.ctx, row, p);
      if (entity === null) out.raw(NULL);
      else out.string(JSON.stringify(entity));
      if (parts.first(PART.model)) {
        out.raw(this.modelPart(event.model));
        parts.done(PART.model);
      }
      this.features(out, row);
      out.raw(p.label === null ? this.nullLabel : this.label(p.label).afterFeatures);
      if (parts.first(PART.latency)) {
        out.raw(LATENCY);
        out.json(latencyMs(event.latencyMs));
        parts.done(PART.latency);
      }
      this.outputs(out, p);
      out.raw(LINE_END);
      ends?.push(out.length);
    }
    this.lastSize = Math.max(1024, out.length + 1024);
    return out.bytes();
  }

  /**
   * Each line's record as the members of a JSON object (`"time":…,"service":…,…`, without the braces):
   * the line without `level`, `msg` and its newline. Views of `lines`.
   */
  recordMembers(lines: Buffer, ends: readonly number[]): Uint8Array[] {
    const out: Uint8Array[] = new Array(ends.length);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      out[i] = lines.subarray(start + this.levelBytes, end - LINE_END.length);
      start = end;
    }
    return out;
  }

  private modelPart(model: AnsweredRows['model']): Buffer {
    if (this.model?.of !== model) this.model = { of: model, bytes: utf8(`,"model":${JSON.stringify(modelRef(model))},"features":`) };
    return this.model.bytes;
  }

  /** JSON.stringify(rowFeatures(ctx, row)) without its closing brace (the label's byte run has it), without building the object. */
  private features(out: JsonWriter, row: Record<string, unknown> | undefined): void {
    let first = true;
    if (row !== undefined)
      for (const key of this.featureKeys) {
        const v = row[key.name];
        if (v === undefined) continue;
        out.raw(first ? key.first : key.next);
        first = false;
        out.json(v);
      }
    if (first) out.byte(OPEN_BRACE);
  }

  /** `,"top_n":[…],"probability":…` or `,"value":…`: JSON.stringify(rowOutputs(p)) without its braces. */
  private outputs(out: JsonWriter, p: Prediction): void {
    if (p.probabilities) {
      let first = true;
      for (const label in p.probabilities) {
        const l = this.label(label);
        out.raw(first ? l.firstInTopN : l.nextInTopN);
        first = false;
        out.json(p.probabilities[label]);
      }
      const own = p.label !== null ? p.probabilities[p.label] : undefined;
      if (first) {
        out.raw(NO_TOP_N);
        if (own !== undefined) out.raw(PROBABILITY);
      } else out.raw(own !== undefined ? TOP_N_END_PROBABILITY : TOP_N_END);
      if (own !== undefined) out.json(own);
    }
    if (p.value !== undefined) {
      out.raw(VALUE);
      out.json(p.value);
    }
  }

  private label(label: string): Label {
    let l = this.labels.get(label);
    if (l === undefined) {
      const json = JSON.stringify(label);
      const head = `{"label":${json},"probability":`;
      l = { afterFeatures: utf8(`}${this.redacted}${json}`), firstInTopN: utf8(`,"top_n":[${head}`), nextInTopN: utf8(`},${head}`) };
      this.labels.set(label, l);
    }
    return l;
  }
}

/**
 * The byte runs of a line around a class label, so that a line is written in few copies: the end of the
 * features up to the label, and the label's entry in top_n (the first, or after the entry before it).
 */
interface Label {
  /** `},"redacted":[…],"label":"…"` */
  afterFeatures: Buffer;
  /** `,"top_n":[{"label":"…","probability":` */
  firstInTopN: Buffer;
  /** `},{"label":"…","probability":` */
  nextInTopN: Buffer;
}
