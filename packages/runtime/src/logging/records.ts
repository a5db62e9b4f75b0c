// The prediction and error log records: the same objects go to stdout (pino) and to Fluentd.
import { randomUUID } from 'node:crypto';
import type { ModelMetadata, Prediction } from '../model/runtime.js';
import type { ModelSpec } from '../schemas/model-spec.js';

/**
 * ONE RECORD PER ROW, not one per request. Elasticsearch and Kibana work on flat documents: with a
 * document per row, "the prediction for entity X", "predictions by label", "by model UUID" and the
 * later join with ground truth (on entity_id or request_id + row_index) are plain term queries and
 * terms aggregations. A document per request would hold an array of row objects, which Elasticsearch
 * flattens (label and entity_id of different rows lose their pairing) unless mapped `nested`, which
 * Kibana's visualisations and Discover filters do not handle. The request is rebuilt by request_id,
 * ordered by row_index (batch_size says how many rows it had).
 */
export interface PredictionRecord {
  /** ISO 8601 time the prediction was answered. */
  time: string;
  log_type: 'prediction';
  /** Unique per record; Fluentd's Elasticsearch output uses it as the document _id, so a record sent twice is stored once. */
  event_id: string;
  request_id: string;
  row_index: number;
  batch_size: number;
  /** The row's entity ID (features.yaml id_field) as a string, or null when not sent. */
  entity_id: string | null;
  service: { name: string; version: string };
  model: { name: string; uuid: string; created_at: string };
  /** The input features, without those marked `redact: true` in features.yaml. */
  features: Record<string, unknown>;
  /** Names of the features left out by redaction. */
  redacted: readonly string[];
  /** Predicted class (classification) or null (regression). */
  label: string | null;
  /** Probability of `label` (classification). */
  probability?: number;
  /** The top model.top_n classes, highest first (classification). */
  top_n?: { label: string; probability: number }[];
  /** Predicted value (regression). */
  value?: number;
  /** Time of the whole request, from arrival to the model's answer. */
  latency_ms: number;
}

/** A failed request (status >= 400): never a prediction. */
export interface ErrorRecord {
  time: string;
  log_type: 'error';
  event_id: string;
  request_id: string;
  method: string;
  /** Path without the query string. */
  path: string;
  status_code: number;
  /** The one-sentence error the client received. */
  error: string;
  /** The client's details, capped at MAX_ERROR_DETAILS; messages about redacted features are replaced. */
  details: { path?: string; field?: string; row?: number; message?: string }[];
  details_total: number;
  service: { name: string; version: string };
  /** The loaded model, or null when it was not loaded (e.g. a 503 at start-up). */
  model: { name: string; uuid: string; created_at: string } | null;
  latency_ms: number;
}

export const MAX_ERROR_DETAILS = 20;

/** A feature's drift crossed a threshold (status drifted) or came back under both (recovered): src/monitoring/drift.ts. */
export interface DriftRecord {
  time: string;
  log_type: 'drift';
  event_id: string;
  status: 'drifted' | 'recovered';
  feature: string;
  feature_type: string;
  psi: number | null;
  ks: number | null;
  /** The statistics at or over their threshold. */
  over: string[];
  psi_threshold: number;
  ks_threshold: number;
  window_rows: number;
  window_size: number;
  window_seconds: number | null;
  service: { name: string; version: string };
  model: { name: string; uuid: string; created_at: string };
}

/** The record of a drift threshold crossing. */
export function driftRecord(
  ctx: RecordContext,
  w: Omit<DriftRecord, 'time' | 'log_type' | 'event_id' | 'service'>,
  now = new Date(),
): DriftRecord {
  return {
    time: now.toISOString(),
    log_type: 'drift',
    event_id: randomUUID(),
    status: w.status,
    feature: w.feature,
    feature_type: w.feature_type,
    psi: w.psi,
    ks: w.ks,
    over: [...w.over],
    psi_threshold: w.psi_threshold,
    ks_threshold: w.ks_threshold,
    window_rows: w.window_rows,
    window_size: w.window_size,
    window_seconds: w.window_seconds,
    service: ctx.service,
    model: w.model,
  };
}

export interface RecordContext {
  spec: ModelSpec;
  service: { name: string; version: string };
}

/** A record's `model`: the model's name, UUID and creation time. */
export const modelRef = (m: ModelMetadata) => ({ name: m.model_name, uuid: m.model_uuid, created_at: m.created_at });
/** A record's latency_ms: to the microsecond. */
export const latencyMs = (ms: number) => Math.round(ms * 1000) / 1000;

/** Feature names dropped from every record, from features.yaml `redact: true`. */
export const redactedFeatures = (spec: ModelSpec): readonly string[] => {
  let names = redactedBySpec.get(spec);
  if (names === undefined) redactedBySpec.set(spec, (names = Object.freeze(spec.features.filter((f) => f.redact).map((f) => f.name))));
  return names;
};
/** Computed once per spec: every prediction record of a request asks for it. */
const redactedBySpec = new WeakMap<ModelSpec, readonly string[]>();

/** What POST /predict hands the prediction log (src/prediction-event.ts), as records.ts reads it. */
export interface AnsweredRows {
  requestId: string;
  rows: readonly Record<string, unknown>[];
  predictions: readonly (Prediction & { entity_id?: unknown })[];
  latencyMs: number;
  model: ModelMetadata;
}

/** The parts of a prediction record shared by every row of a request. */
export function requestPart(ctx: RecordContext, event: AnsweredRows, now: Date) {
  return {
    time: now.toISOString(),
    model: modelRef(event.model),
    redacted: redactedFeatures(ctx.spec),
    latency_ms: latencyMs(event.latencyMs),
  };
}

/** The input features of row `i` as logged: without the redacted ones. */
export function rowFeatures(ctx: RecordContext, row: Record<string, unknown> | undefined): Record<string, unknown> {
  const features: Record<string, unknown> = {};
  if (row === undefined) return features;
  for (const f of ctx.spec.features) if (!f.redact && row[f.name] !== undefined) features[f.name] = row[f.name];
  return features;
}

/** The row's entity ID as logged: the id_field of the row (or of its answer) as a string, or null. */
export function rowEntity(ctx: RecordContext, row: Record<string, unknown> | undefined, p: { entity_id?: unknown }): string | null {
  const idField = ctx.spec.idField;
  const entity = idField ? (row?.[idField] ?? p.entity_id) : p.entity_id;
  return entity === undefined || entity === null ? null : String(entity);
}

/** top_n and probability (classification) or value (regression) of one answer. */
export function rowOutputs(p: Prediction): Pick<PredictionRecord, 'top_n' | 'probability' | 'value'> {
  const out: Pick<PredictionRecord, 'top_n' | 'probability' | 'value'> = {};
  if (p.probabilities) {
    out.top_n = Object.entries(p.probabilities).map(([label, probability]) => ({ label, probability }));
    const own = p.label !== null ? p.probabilities[p.label] : undefined;
    if (own !== undefined) out.probability = own;
  }
  if (p.value !== undefined) out.value = p.value;
  return out;
}

/**
 * One record per row of an answered /predict request (the hot path serialises the same parts: record-json.ts).
 * `eventIds`: the rows' event IDs when they are already chosen (the same on stdout and in Fluentd).
 */
export function predictionRecords(
  ctx: RecordContext,
  event: AnsweredRows,
  now = new Date(),
  eventIds?: readonly string[],
): PredictionRecord[] {
  const shared = requestPart(ctx, event, now);
  return event.predictions.map((p, i) => {
    const row = event.rows[i];
    return {
      time: shared.time,
      log_type: 'prediction',
      event_id: eventIds?.[i] ?? randomUUID(),
      request_id: event.requestId,
      row_index: i,
      batch_size: event.predictions.length,
      entity_id: rowEntity(ctx, row, p),
      service: ctx.service,
      model: shared.model,
      features: rowFeatures(ctx, row),
      redacted: shared.redacted,
      label: p.label,
      latency_ms: shared.latency_ms,
      ...rowOutputs(p),
    };
  });
}

/** The record of a failed request, built from the `{ error, details }` body the client received. */
export function errorRecord(
  ctx: RecordContext,
  req: {
    requestId: string;
    method: string;
    url: string;
    statusCode: number;
    latencyMs: number;
    body: unknown;
    model: ModelMetadata | null;
  },
  now = new Date(),
): ErrorRecord {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { error?: unknown; details?: unknown };
  const redacted = new Set(redactedFeatures(ctx.spec));
  const all = Array.isArray(body.details) ? (body.details as Record<string, unknown>[]) : [];
  let error = typeof body.error === 'string' ? body.error : `HTTP ${req.statusCode}`;
  const details = all.slice(0, MAX_ERROR_DETAILS).map((d) => {
    const out: ErrorRecord['details'][number] = {};
    if (typeof d.path === 'string') out.path = d.path;
    if (typeof d.field === 'string') out.field = d.field;
    if (typeof d.row === 'number') out.row = d.row;
    if (typeof d.message === 'string') out.message = d.message;
    return out;
  });
  // A validation message quotes the value it got: never log it for a redacted feature, neither in
  // the detail nor in the error sentence (which repeats the first detail).
  for (const d of all) {
    if (typeof d.field !== 'string' || !redacted.has(d.field) || typeof d.message !== 'string' || d.message === '') continue;
    error = error.split(d.message).join('[redacted]');
  }
  for (const d of details) if (d.field !== undefined && redacted.has(d.field) && d.message !== undefined) d.message = '[redacted]';
  return {
    time: now.toISOString(),
    log_type: 'error',
    event_id: randomUUID(),
    request_id: req.requestId,
    method: req.method,
    path: req.url.split('?')[0] ?? req.url,
    status_code: req.statusCode,
    error,
    details,
    details_total: all.length,
    service: ctx.service,
    model: req.model ? modelRef(req.model) : null,
    latency_ms: latencyMs(req.latencyMs),
  };
}
