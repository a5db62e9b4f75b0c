// The feedback log record: to stdout and to Fluentd as <tag_prefix>.feedback.
import { randomUUID } from 'node:crypto';
import type { StoredPrediction } from './store.js';

/**
 * One record per POST /feedback that passed validation, matched or not. A matched record carries
 * the request_id and row_index of the prediction it answers (also when it was matched by entity ID),
 * so in Elasticsearch it joins the prediction record on request_id + row_index. An unmatched one
 * (the prediction was older than the in-memory store) carries what the client sent, for joining later.
 */
export interface FeedbackRecord {
  time: string;
  log_type: 'feedback';
  /** Unique per record (the Elasticsearch document _id). */
  event_id: string;
  request_id: string | null;
  row_index: number | null;
  entity_id: string | null;
  matched: boolean;
  /** How it was matched: by request_id (+ row) or by entity_id (the entity's latest prediction). */
  matched_by: 'request_id' | 'entity_id' | null;
  service: { name: string; version: string };
  /** The model of the prediction it answers; null when unmatched. */
  model: { name: string; uuid: string; created_at: string } | null;
  /** Classification: the true class, the predicted one, and whether they agree. */
  true_label?: string;
  predicted_label?: string | null;
  correct?: boolean;
  /** Regression: the true value, the predicted one and |true - predicted|. */
  true_value?: number;
  predicted_value?: number;
  abs_error?: number;
  /** When the prediction was answered (matched only). */
  prediction_time?: string;
  /** The client's `time`: when the truth was observed. */
  observed_at?: string;
  /** False for a repeated feedback on the same prediction: logged, not counted in the rolling figures again. */
  counted?: boolean;
}

export interface FeedbackInput {
  request_id?: string;
  entity_id?: string | number;
  row?: number;
  label?: string;
  value?: number;
  time?: string;
}

export interface Judgement {
  correct?: boolean;
  abs_error?: number;
}

export function feedbackRecord(
  service: { name: string; version: string },
  input: FeedbackInput,
  match: { prediction: StoredPrediction; by: 'request_id' | 'entity_id'; judgement: Judgement; counted: boolean } | null,
  now = new Date(),
): FeedbackRecord {
  const p = match?.prediction;
  const record: FeedbackRecord = {
    time: now.toISOString(),
    log_type: 'feedback',
    event_id: randomUUID(),
    request_id: p ? p.requestId : (input.request_id ?? null),
    row_index: p ? p.row : input.request_id !== undefined ? (input.row ?? 0) : null,
    entity_id: p ? p.entityId : input.entity_id !== undefined ? String(input.entity_id) : null,
    matched: p !== undefined,
    matched_by: match?.by ?? null,
    service,
    model: p ? p.model : null,
  };
  if (input.label !== undefined) {
    record.true_label = input.label;
    if (p) {
      record.predicted_label = p.label;
      record.correct = match!.judgement.correct!;
    }
  }
  if (input.value !== undefined) {
    record.true_value = input.value;
    if (p && p.value !== undefined) {
      record.predicted_value = p.value;
      record.abs_error = match!.judgement.abs_error!;
    }
  }
  if (p) {
    record.prediction_time = new Date(p.time).toISOString();
    record.counted = match!.counted;
  }
  if (input.time !== undefined) record.observed_at = new Date(input.time).toISOString();
  return record;
}
