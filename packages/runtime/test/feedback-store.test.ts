// The bounded store of recent predictions that feedback is joined with: a ring of the last rows.
import { describe, expect, it } from 'vitest';
import { PredictionStore } from '../src/feedback/store.js';
import type { ModelMetadata } from '../src/model/runtime.js';
import type { PredictionEvent } from '../src/prediction-event.js';

const model = { model_name: 'm', model_uuid: 'u', created_at: 't' } as ModelMetadata;
/** A request of `labels.length` rows; entity IDs by row when given. */
const event = (requestId: string, labels: string[], entities: (string | undefined)[] = []): PredictionEvent => ({
  requestId,
  rows: [],
  predictions: labels.map((label, i) => ({ label, ...(entities[i] === undefined ? {} : { entity_id: entities[i] }) })),
  latencyMs: 1,
  model,
});

describe('PredictionStore', () => {
  it('keeps exactly the last `capacity` rows, found by request ID and row', () => {
    const store = new PredictionStore(5);
    store.add(event('a', ['a0', 'a1', 'a2']), null);
    store.add(event('b', ['b0', 'b1', 'b2']), null);
    expect(store.size).toBe(5);
    expect(store.byRequest('a', 0)).toBeUndefined();
    expect(store.byRequest('a', 1)?.label).toBe('a1');
    expect(store.byRequest('b', 2)?.label).toBe('b2');
    expect(store.byRequest('b', 3)).toBeUndefined();
    store.add(event('c', ['c0', 'c1', 'c2']), null);
    expect(store.byRequest('a', 2)).toBeUndefined();
    expect(store.byRequest('b', 0)).toBeUndefined();
    expect(store.byRequest('b', 2)?.label).toBe('b2');
    expect(store.byRequest('c', 0)?.label).toBe('c0');
  });

  it('answers an entity with its latest held prediction, and forgets it once evicted', () => {
    const store = new PredictionStore(3);
    store.add(event('a', ['x', 'y'], ['e1', 'e2']), null);
    store.add(event('b', ['z'], ['e1']), null);
    expect(store.byEntityId('e1')?.label).toBe('z');
    expect(store.byEntityId('e2')?.label).toBe('y');
    store.add(event('c', ['w', 'v'], [undefined, undefined]), null);
    expect(store.byEntityId('e2')).toBeUndefined();
    expect(store.byEntityId('e1')?.label).toBe('z');
    store.add(event('d', ['u']), null);
    expect(store.byEntityId('e1')).toBeUndefined();
  });

  it('a request ID sent again points at its latest rows; the older rows do not shadow it when evicted', () => {
    const store = new PredictionStore(4);
    store.add(event('r', ['old0', 'old1']), null);
    store.add(event('r', ['new0']), null);
    expect(store.byRequest('r', 0)?.label).toBe('new0');
    expect(store.byRequest('r', 1)).toBeUndefined();
    store.add(event('s', ['s0', 's1', 's2']), null);
    expect(store.byRequest('r', 0)?.label).toBe('new0');
  });

  it('keeps what feedback reads of a row: batch size, row, value, model, entity as a string; counted sticks to the row, not to a copy', () => {
    const store = new PredictionStore(4);
    store.add(
      {
        requestId: 'reg',
        rows: [],
        predictions: [
          { label: null, value: 2.5, entity_id: 42 },
          { label: null, value: -0 },
        ],
        latencyMs: 1,
        model,
      },
      null,
      1000,
    );
    const p = store.byRequest('reg', 1)!;
    expect(p).toMatchObject({ requestId: 'reg', row: 1, batchSize: 2, entityId: null, label: null, value: -0, time: 1000, counted: false });
    expect(p.model).toEqual({ name: 'm', uuid: 'u', created_at: 't' });
    expect(store.byEntityId(42)).toMatchObject({ row: 0, entityId: '42', value: 2.5 });
    expect(store.byEntityId('42')?.requestId).toBe('reg');
    expect(store.byRequest('a', 0)).toBeUndefined();
    store.add(event('cls', ['x']), null);
    expect(store.byRequest('cls', 0)?.value).toBeUndefined();
    store.markCounted(p);
    expect(store.byRequest('reg', 1)?.counted).toBe(true);
    expect(store.byRequest('reg', 0)?.counted).toBe(false);
    // the slot is taken by a newer row: it starts uncounted
    store.add(event('d', ['d0', 'd1']), null);
    store.add(event('e', ['e0']), null);
    expect(store.byRequest('reg', 1)).toBeUndefined();
    expect(store.byRequest('e', 0)?.counted).toBe(false);
  });
});
