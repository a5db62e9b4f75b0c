// The prediction records of one request serialised once into their stdout lines (their Fluentd
// form, msgpack, is record-msgpack.ts).
//
// WHY NOT the logger (pino) per row: it serialises every field of every row again (model, service,
// redacted names, request ID), runs redaction and a clock per line; that was most of the CPU of a
// 64-row /predict. Here what a request's rows share is serialised once per request, and each row's
// own values with JSON.stringify per value, so that a line is byte for byte what JSON.stringify of
// predictionRecords' record gives (test/logging-lines.test.ts checks it on the service's own spec).
// fast-json-stringify was measured too: no faster than JSON.stringify on these records; the cost
// was in serialising the shared parts again for every row.
import type { Prediction } from '../model/runtime.js';
import { redactedFeatures, requestPart, rowEntity, type AnsweredRows, type RecordContext } from './records.js';

export class PredictionJson {
  private readonly serviceJson: string;
  private readonly linePrefix: string;
  /** `,"redacted":[…],"label":`: the same for every record of the service. */
  private readonly redactedJson: string;
  /** `"name":` of each logged feature, in spec order (rowFeatures' keys). */
  private readonly featureKeys: { name: string; key: string }[];
  /** `{"label":"…","probability":` per class label, built on first use. */
  private readonly topNHeads = new Map<string, string>();

  constructor(
    private readonly ctx: RecordContext,
    level = 'info',
  ) {
    this.serviceJson = JSON.stringify(ctx.service);
    this.linePrefix = `{"level":${JSON.stringify(level)},"time":`;
    this.redactedJson = `,"redacted":${JSON.stringify(redactedFeatures(ctx.spec))},"label":`;
    // As rowFeatures builds its plain object: a feature named __proto__ never becomes an own key there.
    this.featureKeys = ctx.spec.features
      .filter((f) => !f.redact && f.name !== '__proto__')
      .map((f) => ({ name: f.name, key: `${JSON.stringify(f.name)}:` }));
  }

  /**
   * The stdout lines of every row, each ending in a newline, as the logger writes them: level, time,
   * its base `service`, the record's fields, msg.
   */
  serialise(event: AnsweredRows, now: Date, eventIds: readonly string[]): string {
    const shared = requestPart(this.ctx, event, now);
    const time = JSON.stringify(shared.time);
    const lineHead = `${this.linePrefix}${time},"service":${this.serviceJson},"log_type":"prediction","event_id":"`;
    const requestId = `","request_id":${JSON.stringify(event.requestId)},"row_index":`;
    const batchSize = `,"batch_size":${event.predictions.length},"entity_id":`;
    const model = `,"model":${JSON.stringify(shared.model)},"features":`;
    const redacted = this.redactedJson;
    const latency = `,"latency_ms":${JSON.stringify(shared.latency_ms)}`;
    const lines: string[] = [];
    for (let i = 0; i < event.predictions.length; i++) {
      const p = event.predictions[i]!;
      const row = event.rows[i];
      const body = `${eventIds[i]}${requestId}${i}${batchSize}${JSON.stringify(rowEntity(this.ctx, row, p))}${model}${this.features(row)}${redacted}${JSON.stringify(p.label)}${latency}${this.outputs(p)}`;
      lines.push(`${lineHead}${body},"msg":"prediction"}\n`);
    }
    return lines.join('');
  }

  /** JSON.stringify(rowFeatures(ctx, row)), without building the object. */
  private features(row: Record<string, unknown> | undefined): string {
    if (row === undefined) return '{}';
    let out = '{';
    for (const { name, key } of this.featureKeys) {
      const v = row[name];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${key}${JSON.stringify(v)}`;
    }
    return `${out}}`;
  }

  /** `,"top_n":[…],"probability":…` or `,"value":…`: JSON.stringify(rowOutputs(p)) without its braces. */
  private outputs(p: Prediction): string {
    let out = '';
    if (p.probabilities) {
      let top = '';
      for (const label in p.probabilities) {
        let head = this.topNHeads.get(label);
        if (head === undefined) this.topNHeads.set(label, (head = `{"label":${JSON.stringify(label)},"probability":`));
        top += `${top === '' ? '' : ','}${head}${JSON.stringify(p.probabilities[label])}}`;
      }
      out += `,"top_n":[${top}]`;
      const own = p.label !== null ? p.probabilities[p.label] : undefined;
      if (own !== undefined) out += `,"probability":${JSON.stringify(own)}`;
    }
    if (p.value !== undefined) out += `,"value":${JSON.stringify(p.value)}`;
    return out;
  }
}
