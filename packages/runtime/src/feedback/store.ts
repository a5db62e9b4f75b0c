// The recent predictions that ground-truth feedback is joined with, in memory and bounded.
import type { PredictionEvent } from '../prediction-event.js';

/** One predicted row as kept for the join (a copy of its ring slot, made when a feedback asks for it). */
export interface StoredPrediction {
  /** The row's sequence number in the store (markCounted). */
  seq: number;
  requestId: string;
  row: number;
  batchSize: number;
  /** The row's entity ID as a string (as in the prediction log), or null. */
  entityId: string | null;
  /** Predicted class (classification) or null. */
  label: string | null;
  /** Predicted value (regression). */
  value: number | undefined;
  model: { name: string; uuid: string; created_at: string };
  /** ms since the epoch. */
  time: number;
  /** A feedback was counted for it: a repeated feedback is logged but not counted twice. */
  counted: boolean;
}

/** Entity IDs are compared as strings: 42 and "42" are the same entity (as in the prediction log). */
export const entityKey = (id: string | number): string => String(id);

type StoredModel = StoredPrediction['model'];

/**
 * The last `capacity` predicted rows, by request ID + row and by entity ID (the latest prediction
 * of the entity). Fed synchronously on the /predict path, so per row it only fills the slot of a ring
 * in columns (typed arrays, and arrays of strings the request already holds): no object per row, which
 * would live long enough to be promoted to the old generation and collected there. One map entry per
 * request (not per row), and one per entity when the row carries an ID. Rows are numbered by a running
 * sequence number; a slot's row is gone once `capacity` newer rows came.
 */
export class PredictionStore {
  private readonly requestIds: (string | undefined)[];
  private readonly entityIds: (string | null)[];
  private readonly labels: (string | null)[];
  private readonly models: (StoredModel | undefined)[];
  /** Sequence number of the request's row 0 (row index = seq - first). */
  private readonly firsts: Float64Array;
  private readonly batchSizes: Int32Array;
  private readonly values: Float64Array;
  /** 1 when the prediction had a value (regression). */
  private readonly hasValue: Uint8Array;
  private readonly times: Float64Array;
  private readonly counted: Uint8Array;
  /** Sequence number of the next row. */
  private next = 0;
  /** Request ID -> sequence number of its row 0 (a retried request ID points at its latest rows). */
  private readonly byRequestId = new Map<string, number>();
  /** Entity ID -> sequence number of its latest row. */
  private readonly byEntity = new Map<string, number>();
  /** The last model's stored form, shared by its rows. */
  private model: StoredModel | null = null;

  constructor(readonly capacity: number) {
    this.requestIds = new Array<string | undefined>(capacity).fill(undefined);
    this.entityIds = new Array<string | null>(capacity).fill(null);
    this.labels = new Array<string | null>(capacity).fill(null);
    this.models = new Array<StoredModel | undefined>(capacity).fill(undefined);
    this.firsts = new Float64Array(capacity);
    this.batchSizes = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
    this.hasValue = new Uint8Array(capacity);
    this.times = new Float64Array(capacity);
    this.counted = new Uint8Array(capacity);
  }

  get size(): number {
    return Math.min(this.next, this.capacity);
  }

  add(event: PredictionEvent, idField: string | null, now = Date.now()): void {
    const m = event.model;
    if (this.model?.uuid !== m.model_uuid || this.model.name !== m.model_name || this.model.created_at !== m.created_at)
      this.model = { name: m.model_name, uuid: m.model_uuid, created_at: m.created_at };
    const batchSize = event.predictions.length;
    const first = this.next;
    this.byRequestId.set(event.requestId, first);
    for (let i = 0; i < batchSize; i++) {
      const p = event.predictions[i]!;
      const row = idField ? (event.rows[i] as unknown as Record<string, unknown> | undefined) : undefined;
      const entity = p.entity_id ?? (row && Object.hasOwn(row, idField!) ? (row[idField!] as string | number) : undefined);
      const seq = this.next++;
      const slot = seq % this.capacity;
      if (this.requestIds[slot] !== undefined) this.forget(slot, seq - this.capacity);
      const entityId = entity === undefined || entity === null ? null : entityKey(entity);
      this.requestIds[slot] = event.requestId;
      this.entityIds[slot] = entityId;
      this.labels[slot] = p.label;
      this.models[slot] = this.model;
      this.firsts[slot] = first;
      this.batchSizes[slot] = batchSize;
      this.hasValue[slot] = p.value === undefined ? 0 : 1;
      this.values[slot] = p.value ?? 0;
      this.times[slot] = now;
      this.counted[slot] = 0;
      if (entityId !== null) this.byEntity.set(entityId, seq);
    }
  }

  byRequest(requestId: string, row: number): StoredPrediction | undefined {
    const first = this.byRequestId.get(requestId);
    if (first === undefined) return undefined;
    const stored = this.at(first + row);
    return stored && stored.requestId === requestId && stored.row === row ? stored : undefined;
  }

  /** The latest kept prediction of the entity. */
  byEntityId(id: string | number): StoredPrediction | undefined {
    const seq = this.byEntity.get(entityKey(id));
    return seq === undefined ? undefined : this.at(seq);
  }

  /** Marks a held row as counted (a no-op once it was evicted). */
  markCounted(p: StoredPrediction): void {
    if (this.held(p.seq)) this.counted[p.seq % this.capacity] = 1;
    p.counted = true;
  }

  clear(): void {
    this.requestIds.fill(undefined);
    this.entityIds.fill(null);
    this.labels.fill(null);
    this.models.fill(undefined);
    this.next = 0;
    this.byRequestId.clear();
    this.byEntity.clear();
  }

  private held(seq: number): boolean {
    return seq < this.next && seq >= this.next - this.capacity;
  }

  /** A copy of the row of sequence number `seq`, while it is still held. */
  private at(seq: number): StoredPrediction | undefined {
    if (!this.held(seq)) return undefined;
    const slot = seq % this.capacity;
    return {
      seq,
      requestId: this.requestIds[slot]!,
      row: seq - this.firsts[slot]!,
      batchSize: this.batchSizes[slot]!,
      entityId: this.entityIds[slot]!,
      label: this.labels[slot]!,
      value: this.hasValue[slot] === 1 ? this.values[slot]! : undefined,
      model: this.models[slot]!,
      time: this.times[slot]!,
      counted: this.counted[slot] === 1,
    };
  }

  /** Drops the map entries that point at the row leaving `slot` (`seq`), unless newer rows took them over. */
  private forget(slot: number, seq: number): void {
    const requestId = this.requestIds[slot]!;
    const first = this.firsts[slot]!;
    if (seq - first === this.batchSizes[slot]! - 1 && this.byRequestId.get(requestId) === first) this.byRequestId.delete(requestId);
    const entityId = this.entityIds[slot]!;
    if (entityId !== null && this.byEntity.get(entityId) === seq) this.byEntity.delete(entityId);
  }
}
