// The prediction log's serialised lines (src/logging/record-json.ts) are the records of records.ts:
// byte for byte what JSON.stringify gives for the logger's line of each record, and the same record for Fluentd.
import { randomUUID } from 'node:crypto';
import { decode } from '@msgpack/msgpack';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventIds } from '../src/logging/event-ids.js';
import { PredictionJson } from '../src/logging/record-json.js';
import { PredictionMsgpack } from '../src/logging/record-msgpack.js';
import { predictionRecords, type RecordContext } from '../src/logging/records.js';
import { OnnxModelRuntime } from './service.js';
import { attachEntityIds } from '../src/prediction-event.js';
import { exampleRow, modelSpec } from './service.js';
import type { ModelSpec } from '../src/schemas/model-spec.js';
import { trainedConfig } from './api-helpers.js';

let runtime: OnnxModelRuntime;
let cleanup = () => {};
let topN = 0;

beforeAll(async () => {
  const trained = await trainedConfig();
  cleanup = trained.cleanup;
  topN = trained.config.model.top_n;
  runtime = new OnnxModelRuntime({ dir: trained.config.model.dir, topN });
  await runtime.load();
});
afterAll(async () => {
  await runtime?.close();
  cleanup();
});

// One more feature redacted than features.yaml says, so that redaction is part of what is compared.
const extraRedacted = modelSpec.features.find((f) => !f.redact);
const spec: ModelSpec = { ...modelSpec, features: modelSpec.features.map((f) => (f === extraRedacted ? { ...f, redact: true } : f)) };
const ctx: RecordContext = { spec, service: { name: 'lines-svc "quoted"', version: '1.2.3' } };

it('each stdout line and Fluentd record equals the record of records.ts, for one row and a batch with and without entity IDs', async () => {
  // Even rows carry an entity ID with a quote in it (when the spec has an id_field), odd rows none.
  const rows = [0, 1, 2, 3].map((i) => {
    const r: Record<string, unknown> = { ...exampleRow };
    if (modelSpec.idField) {
      if (i % 2 === 0) r[modelSpec.idField] = `entity "${i}" é✓😀`;
      else delete r[modelSpec.idField];
    }
    return r as typeof exampleRow;
  });
  for (const batch of [rows.slice(0, 1), rows]) {
    const predictions = attachEntityIds(batch, await runtime.predict(batch, topN), modelSpec.idField);
    const event = { requestId: 'req "1"\n', rows: batch, predictions, latencyMs: 1.23456, model: runtime.metadata };
    const now = new Date();
    const ids = batch.map(() => randomUUID());
    const eventIds = EventIds.of(ids);
    const lines = new PredictionJson(ctx).serialise(event, now, eventIds).toString('utf8');
    const records = new PredictionMsgpack(ctx).serialise(event, now, eventIds);
    const stdout = lines.split('\n');
    expect(stdout.pop()).toBe(''); // every line ends in a newline
    expect(stdout).toHaveLength(batch.length);
    expect(records).toHaveLength(batch.length);
    const expected = predictionRecords(ctx, event, now);
    for (let i = 0; i < batch.length; i++) {
      const eventId = ids[i]!;
      const { time, service, ...fields } = { ...expected[i]!, event_id: eventId };
      // What the logger wrote for a record: level, time, its base `service`, the fields, msg.
      expect(stdout[i]).toBe(JSON.stringify({ level: 'info', time, service, ...fields, msg: 'prediction' }));
      // Fluentd's record, decoded: the same record, with the same event_id as the stdout line.
      expect(decode(records[i]!)).toEqual({ ...expected[i]!, event_id: eventId });
    }
    expect(new Set(stdout.map((l) => (JSON.parse(l) as { event_id: string }).event_id)).size).toBe(batch.length);
  }
});

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

it('a line is JSON.stringify of its record for values at the edges of number and string formatting', () => {
  const feature = (name: string, type: 'number' | 'string' | 'boolean', redact = false) =>
    ({ name, type, required: false, example: type === 'number' ? 0 : '', redact }) as ModelSpec['features'][number];
  const edgeSpec: ModelSpec = {
    task: 'classification',
    target: 'y',
    classes: null,
    idField: 'id',
    featureHash: '',
    features: [
      feature('x', 'number'),
      feature('naïve "name"\u2028', 'string'),
      feature('flag', 'boolean'),
      feature('secret', 'string', true),
    ],
  };
  const numbers = [-0, 0, 1e-7, 5e-324, 1e21, 123456789012345680000, 0.1 + 0.2, -1.5, Number.MAX_SAFE_INTEGER, 1 / 3];
  const strings = ['', 'é✓😀', '\u0000\u001f"\\/', '\ud800 lone', '\u2028\u2029', 'x'.repeat(3000)];
  const rows = numbers.map((x, i) => ({
    x,
    'naïve "name"\u2028': strings[i % strings.length],
    flag: i % 2 === 0,
    secret: 'never logged',
    ...(i % 3 === 0 ? {} : { id: i % 3 === 1 ? `ünï ${i}` : i }),
  }));
  const predictions = numbers.map((x, i) =>
    i % 2 === 0
      ? { label: `klasse "${i % 4}" ✓`, probabilities: { [`klasse "${i % 4}" ✓`]: Math.abs(x), other: 1 - Math.abs(x) } }
      : { label: null, value: x },
  );
  // No logged feature (only a redacted one) and an empty top_n; a label outside top_n; a prediction without its row.
  rows.push({ secret: 'only this' } as (typeof rows)[number], { x: 1 } as (typeof rows)[number]);
  predictions.push(
    { label: 'none', probabilities: {} },
    { label: 'not in top_n', probabilities: { other: 0.5 } },
    { label: 'rowless', probabilities: { rowless: 1 } },
  );
  const event = { requestId: 'req ü "2"', rows, predictions, latencyMs: 0.0004, model: runtime.metadata };
  const now = new Date();
  const ids = predictions.map(() => randomUUID());
  const eventIds = EventIds.of(ids);
  const edgeCtx: RecordContext = { spec: edgeSpec, service: { name: 'edge ✓', version: '0.0.1' } };
  const json = new PredictionJson(edgeCtx);
  const msgpack = new PredictionMsgpack(edgeCtx);
  // Twice with the same serialisers: their per-label parts are built on the first call and reused.
  for (const round of [0, 1]) {
    const stdout = json.serialise(event, now, eventIds).toString('utf8').split('\n');
    expect(stdout.pop(), `round ${round}`).toBe('');
    const expected = predictionRecords(edgeCtx, event, now, ids);
    // Fluentd's records decode to the record as its JSON has it (-0 is 0 there); msgpack strings are
    // UTF-8, so a lone surrogate (an escape in the JSON line) arrives as U+FFFD.
    const wellFormed = (_key: string, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v);
    expect(msgpack.serialise(event, now, eventIds).map((r) => decode(r))).toEqual(
      expected.map((r) => JSON.parse(JSON.stringify(r), wellFormed) as unknown),
    );
    expect(stdout).toEqual(
      expected.map(({ time, service, ...fields }) => JSON.stringify({ level: 'info', time, service, ...fields, msg: 'prediction' })),
    );
  }
});
