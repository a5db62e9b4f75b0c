// The recent predictions that ground-truth feedback is joined with, in memory and bounded.
import type { PredictionEvent } from '../prediction-event.js';

/** One predicted row as kept for the join. */
export interface StoredPrediction {
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
  /** Set once a feedback was counted for it: a repeated feedback is logged but not counted twice. */
  counted: boolean;
}

/** Entity IDs are compared as strings: 42 and "42" are the same entity (as in the prediction log). */
export const entityKey = (id: string | number): string => String(id);

/**
 * The last `capacity` predicted rows, by request ID + row and by entity ID (the latest prediction
 * of the entity). Fed synchronously on the /predict path, so per row it only fills a slot of a ring
 * buffer: one map entry per request (not per row), and one per entity when the row carries an ID.
 * Rows are numbered by a running sequence number; a slot's row is gone once `capacity` newer rows came.
 */
export class PredictionStore {
  private readonly ring: (StoredPrediction | undefined)[];
  /** Sequence number of the next row. */
  private next = 0;
  /** Request ID -> sequence number of its row 0 (a retried request ID points at its latest rows). */
  private readonly byRequestId = new Map<string, number>();
  /** Entity ID -> sequence number of its latest row. */
  private readonly byEntity = new Map<string, number>();

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  get size(): number {
    return Math.min(this.next, this.capacity);
  }

  add(event: PredictionEvent, idField: string | null, now = Date.now()): void {
    const model = { name: event.model.model_name, uuid: event.model.model_uuid, created_at: event.model.created_at };
    const batchSize = event.predictions.length;
    this.byRequestId.set(event.requestId, this.next);
    for (let i = 0; i < batchSize; i++) {
      const p = event.predictions[i]!;
      const row = idField ? (event.rows[i] as unknown as Record<string, unknown> | undefined) : undefined;
      const entity = p.entity_id ?? (row && Object.hasOwn(row, idField!) ? (row[idField!] as string | number) : undefined);
      const seq = this.next++;
      const slot = seq % this.capacity;
      const old = this.ring[slot];
      if (old) this.forget(old, seq - this.capacity);
      const stored: StoredPrediction = {
        requestId: event.requestId,
        row: i,
        batchSize,
        entityId: entity === undefined || entity === null ? null : entityKey(entity),
        label: p.label,
        value: p.value,
        model,
        time: now,
        counted: false,
      };
      this.ring[slot] = stored;
      if (stored.entityId !== null) this.byEntity.set(stored.entityId, seq);
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

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.byRequestId.clear();
    this.byEntity.clear();
  }

  /** The row of sequence number `seq`, while it is still held. */
  private at(seq: number): StoredPrediction | undefined {
    return seq < this.next && seq >= this.next - this.capacity ? this.ring[seq % this.capacity] : undefined;
  }

  /** Drops the map entries that point at an evicted row (`seq`), unless newer rows took them over. */
  private forget(old: StoredPrediction, seq: number): void {
    if (old.row === old.batchSize - 1 && this.byRequestId.get(old.requestId) === seq - old.row) this.byRequestId.delete(old.requestId);
    if (old.entityId !== null && this.byEntity.get(old.entityId) === seq) this.byEntity.delete(old.entityId);
  }
}
