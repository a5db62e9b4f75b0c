// Ground-truth feedback: joins POST /feedback with recent predictions, keeps the rolling figures,
// and hands a record of every feedback to the log (FeedbackListener; <tag_prefix>.feedback).
import type { PredictionEvent, PredictionListener } from '../prediction-event.js';
import type { ModelSpec } from '../schemas/model-spec.js';
import { feedbackRecord, type FeedbackInput, type FeedbackRecord, type Judgement } from './record.js';
import { RollingPerformance, type RollingFigures } from './rolling.js';
import { PredictionStore, type StoredPrediction } from './store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Ground-truth feedback: the join store and the rolling figures (buildApp). */
    feedback: FeedbackMonitor;
  }
}

/** Called once per validated feedback, matched or not (the log: stdout and Fluentd <tag_prefix>.feedback). */
export type FeedbackListener = (record: FeedbackRecord) => void;

export interface FeedbackMonitorOptions {
  spec: ModelSpec;
  /** monitoring.feedback.max_predictions: predicted rows kept for the join. */
  maxPredictions: number;
  /** monitoring.feedback.window: matched feedbacks the rolling figures are over. */
  window: number;
  service: { name: string; version: string };
}

export type FeedbackOutcome =
  | {
      matched: true;
      record: FeedbackRecord;
      prediction: StoredPrediction;
      by: 'request_id' | 'entity_id';
      judgement: Judgement;
      counted: boolean;
    }
  | { matched: false; record: FeedbackRecord; reason: string };

export interface FeedbackStats {
  task: ModelSpec['task'];
  rolling: RollingFigures;
  received: { matched: number; unmatched: number };
  /** Predicted rows held for the join now, and at most. */
  predictions_held: number;
  max_predictions: number;
}

export class FeedbackMonitor {
  readonly store: PredictionStore;
  readonly rolling: RollingPerformance;
  readonly received = { matched: 0, unmatched: 0 };
  private readonly listeners: FeedbackListener[] = [];
  private readonly spec: ModelSpec;
  private readonly service: { name: string; version: string };

  constructor(opts: FeedbackMonitorOptions) {
    this.spec = opts.spec;
    this.service = opts.service;
    this.store = new PredictionStore(opts.maxPredictions);
    this.rolling = new RollingPerformance(opts.spec.task, opts.window);
  }

  /** The /predict seam (prediction-event.ts): keeps the predicted rows; never throws or waits. */
  readonly onPrediction: PredictionListener = (event: PredictionEvent) => {
    this.store.add(event, this.spec.idField);
  };

  /** `next` with this monitor's onPrediction run first (buildApp chains the /predict listeners). */
  listener(next?: PredictionListener): PredictionListener {
    if (!next) return this.onPrediction;
    return (event) => {
      this.onPrediction(event);
      next(event);
    };
  }

  /** Adds a listener of feedback records (the log, metrics). A throwing listener does not stop the others. */
  onFeedback(listener: FeedbackListener): void {
    this.listeners.push(listener);
  }

  /** Joins a validated feedback with its prediction, updates the figures and hands the record on. */
  submit(input: FeedbackInput, now = new Date()): FeedbackOutcome {
    const found = this.find(input);
    let outcome: FeedbackOutcome;
    if ('prediction' in found) {
      const { prediction, by } = found;
      const judgement = this.judge(input, prediction);
      const counted = !prediction.counted;
      if (counted) {
        this.store.markCounted(prediction);
        this.rolling.add(judgement.correct !== undefined ? (judgement.correct ? 1 : 0) : judgement.abs_error!);
      }
      this.received.matched++;
      outcome = {
        matched: true,
        record: feedbackRecord(this.service, input, { prediction, by, judgement, counted }, now),
        prediction,
        by,
        judgement,
        counted,
      };
    } else {
      this.received.unmatched++;
      outcome = { matched: false, record: feedbackRecord(this.service, input, null, now), reason: found.reason };
    }
    for (const listener of this.listeners) {
      try {
        listener(outcome.record);
      } catch {
        // a listener's failure (e.g. the log) never changes the answer
      }
    }
    return outcome;
  }

  stats(): FeedbackStats {
    return {
      task: this.spec.task,
      rolling: this.rolling.figures(),
      received: { ...this.received },
      predictions_held: this.store.size,
      max_predictions: this.store.capacity,
    };
  }

  private judge(input: FeedbackInput, p: StoredPrediction): Judgement {
    if (this.spec.task === 'classification') return { correct: input.label === p.label };
    return { abs_error: Math.abs(input.value! - (p.value ?? Number.NaN)) };
  }

  /** request_id (+ row) first; else (not sent, or not found) the entity's latest prediction. */
  private find(input: FeedbackInput): { prediction: StoredPrediction; by: 'request_id' | 'entity_id' } | { reason: string } {
    const held = `the service keeps the last ${this.store.capacity} predicted rows in memory (monitoring.feedback.max_predictions)`;
    const reasons: string[] = [];
    if (input.request_id !== undefined) {
      const row = input.row ?? 0;
      const p = this.store.byRequest(input.request_id, row);
      if (p) {
        if (input.entity_id !== undefined && p.entityId !== null && p.entityId !== String(input.entity_id))
          return {
            reason: `request_id ${JSON.stringify(input.request_id)} row ${row} was predicted for entity_id ${JSON.stringify(p.entityId)}, not ${JSON.stringify(String(input.entity_id))}`,
          };
        return { prediction: p, by: 'request_id' };
      }
      const first = row > 0 ? this.store.byRequest(input.request_id, 0) : undefined;
      reasons.push(
        first
          ? `request_id ${JSON.stringify(input.request_id)} had ${first.batchSize} row${first.batchSize === 1 ? '' : 's'}, so row must be 0 to ${first.batchSize - 1}; got ${row}`
          : `no recent prediction with request_id ${JSON.stringify(input.request_id)}${row > 0 ? ` (row ${row})` : ''}`,
      );
    }
    if (input.entity_id !== undefined) {
      const p = this.store.byEntityId(input.entity_id);
      if (p) return { prediction: p, by: 'entity_id' };
      reasons.push(`no recent prediction with entity_id ${JSON.stringify(input.entity_id)}`);
    }
    return {
      reason: `${reasons.join(', and ')}; ${held}. The feedback was logged unmatched (matched: false) for a later join in Elasticsearch`,
    };
  }
}
