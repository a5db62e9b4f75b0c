// Ground-truth feedback (POST /feedback): the join with recent predictions, the rolling accuracy /
// MAE against a hand count (answer, GET /feedback/stats and GET /metrics), the entity-ID join, the
// 404 of an unknown ID, the feedback records at a REAL Fluentd receiver, and the 400s. Generic over
// features.yaml: rows are built from the feature list, the truth from the model's own answers.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './service.js';
import type { Config } from '../src/config.js';
import { createLogger } from '../src/logging/logger.js';
import { PredictionLog } from './service.js';
import { OnnxModelRuntime } from './service.js';
import { modelSpec } from './service.js';
import type { FeatureSpec } from '../src/schemas/model-spec.js';
import { features, row, startApp, trainedConfig, UNKNOWN_FEATURE } from './api-helpers.js';
import { fluentdAt, freePort, lineCollector, Receiver, waitFor, withTimeout } from './logging-helpers.js';

const WINDOW = 8;
const N = 12;
const isClassification = modelSpec.task === 'classification';
const idField = modelSpec.idField;

let config: Config;
let cleanup: () => void;
let app: FastifyInstance;
let runtime: OnnxModelRuntime;
let classes: string[];

beforeAll(async () => {
  ({ config, cleanup } = await trainedConfig((c) => {
    c.monitoring.feedback.window = WINDOW;
    c.monitoring.feedback.max_predictions = 1_000;
  }));
  ({ app, runtime } = await startApp(config));
  classes = modelSpec.classes ?? runtime.metadata.classes ?? [];
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  cleanup?.();
});

/** A value of feature `f` for row i: spread over the feature's range, so the rows differ. */
function valueFor(f: FeatureSpec, i: number, k: number): unknown {
  const t = ((i * 7 + k * 3) % N) / (N - 1);
  switch (f.type) {
    case 'number':
    case 'integer': {
      const lo = f.min ?? (typeof f.example === 'number' ? f.example - 1 : 0);
      const hi = f.max ?? (typeof f.example === 'number' ? f.example + 1 : 1);
      const v = lo + (hi - lo) * t;
      return f.type === 'integer' ? Math.round(v) : Math.round(v * 100) / 100;
    }
    case 'boolean':
      return (i + k) % 2 === 0;
    case 'category':
      return f.values?.length ? f.values[(i + k) % f.values.length] : f.example;
    default:
      return f.example;
  }
}

/** Row i: every feature varied; the entity ID (when the service has one) given. */
function variedRow(i: number, entity?: string | number): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  features.forEach((f, k) =>
    Object.defineProperty(changes, f.name, { value: valueFor(f, i, k), enumerable: true, writable: true, configurable: true }),
  );
  if (idField)
    Object.defineProperty(changes, idField, { value: entity ?? `fb-entity-${i}`, enumerable: true, writable: true, configurable: true });
  return row(changes);
}

interface Answer {
  request_id: string;
  model: { uuid: string };
  predictions: { label: string | null; value?: number; entity_id?: unknown }[];
}

async function predict(target: FastifyInstance, requestId: string, body: unknown): Promise<Answer> {
  const res = await target.inject({ method: 'POST', url: '/predict', headers: { 'x-request-id': requestId }, payload: body as object });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const feedback = (target: FastifyInstance, body: unknown) =>
  target.inject({ method: 'POST', url: '/feedback', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

/** Classification: the predicted class for every third row's "wrong" truth is swapped for another class. */
function truthFor(i: number, predicted: { label: string | null; value?: number }): { label: string } | { value: number } {
  if (isClassification) {
    const other = classes.find((c) => c !== predicted.label) ?? predicted.label!;
    return { label: i % 3 === 0 ? other : predicted.label! };
  }
  // Regression: known errors 0, 0.5, 1, 1.5 (alternating sign).
  const offset = (i % 4) * 0.5 * (i % 2 === 0 ? 1 : -1);
  return { value: predicted.value! + offset };
}

/** The metric value of an unlabelled series (or one with the given label text) in the exposition. */
function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('POST /feedback: rolling performance equals the hand count', () => {
  it(`joins by request_id + row; ${isClassification ? 'accuracy' : 'MAE'} over the last ${WINDOW} matched feedbacks`, async () => {
    const rows = Array.from({ length: N }, (_, i) => variedRow(i));
    const answer = await predict(app, 'fb-batch-1', rows);
    expect(answer.predictions).toHaveLength(N);

    const scores: number[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < N; i++) {
      const predicted = answer.predictions[i]!;
      const truth = truthFor(i, predicted);
      const res = await feedback(app, { request_id: 'fb-batch-1', row: i, ...truth });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        matched: true,
        matched_by: 'request_id',
        request_id: 'fb-batch-1',
        row: i,
        model_uuid: answer.model.uuid,
        counted: true,
      });
      if (isClassification) {
        const correct = (truth as { label: string }).label === predicted.label;
        expect(body.predicted).toBe(predicted.label);
        expect(body.correct).toBe(correct);
        scores.push(correct ? 1 : 0);
      } else {
        const err = Math.abs((truth as { value: number }).value - predicted.value!);
        expect(body.predicted).toBeCloseTo(predicted.value!, 6);
        expect(body.abs_error).toBeCloseTo(err, 6);
        scores.push(err);
      }
      if (idField) expect(body.entity_id).toBe(`fb-entity-${i}`);
      last = body;
    }
    // The hand count: the mean over the last WINDOW feedbacks.
    const windowed = scores.slice(-WINDOW);
    const expected = windowed.reduce((a, b) => a + b, 0) / windowed.length;
    const key = isClassification ? 'accuracy' : 'mae';
    expect((last.rolling as Record<string, number>)[key]).toBeCloseTo(expected, 9);
    expect(last.rolling).toMatchObject({ window: WINDOW, count: WINDOW });

    const stats = (await app.inject({ method: 'GET', url: '/feedback/stats' })).json();
    expect(stats.task).toBe(modelSpec.task);
    expect(stats.rolling[key]).toBeCloseTo(expected, 9);
    expect(stats.received).toEqual({ matched: N, unmatched: 0 });

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    const gauge = isClassification ? 'mlservice_model_rolling_accuracy_ratio' : 'mlservice_model_rolling_mae';
    expect(metricValue(metrics.body, gauge)).toBeCloseTo(expected, 9);
    expect(metricValue(metrics.body, 'mlservice_model_rolling_feedbacks')).toBe(WINDOW);
    expect(metricValue(metrics.body, 'mlservice_feedback_received_total', '{matched="true"}')).toBe(N);
    expect(metricValue(metrics.body, 'mlservice_feedback_received_total', '{matched="false"}')).toBe(0);
    expect(metrics.body).not.toContain(isClassification ? 'mlservice_model_rolling_mae' : 'mlservice_model_rolling_accuracy_ratio');

    // The same prediction answered again: answered and logged, not counted twice.
    const again = await feedback(app, { request_id: 'fb-batch-1', row: N - 1, ...truthFor(N - 1, answer.predictions[N - 1]!) });
    expect(again.statusCode).toBe(200);
    expect(again.json().counted).toBe(false);
    expect(again.json().rolling[key]).toBeCloseTo(expected, 9);
  });

  it('a row past the end of the batch: 404 saying how many rows the request had', async () => {
    await predict(app, 'fb-batch-2', [variedRow(1), variedRow(2)]);
    const truth = truthFor(0, { label: classes[0] ?? null, value: 1 });
    const res = await feedback(app, { request_id: 'fb-batch-2', row: 5, ...truth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toContain('request_id "fb-batch-2" had 2 rows, so row must be 0 to 1; got 5');
  });

  it('an unknown request_id: 404 naming it; counted as unmatched', async () => {
    const before = (await app.inject({ method: 'GET', url: '/feedback/stats' })).json();
    const res = await feedback(app, { request_id: 'never-predicted', ...truthFor(1, { label: classes[0] ?? null, value: 2 }) });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body.error).toMatch(/^no recent prediction with request_id "never-predicted"/);
    expect(body.error).toContain('monitoring.feedback.max_predictions');
    expect(body.error).toContain('logged unmatched');
    const after = (await app.inject({ method: 'GET', url: '/feedback/stats' })).json();
    expect(after.received.unmatched).toBe(before.received.unmatched + 1);
    expect(after.rolling).toEqual(before.rolling);
  });
});

describe.skipIf(!idField)('POST /feedback by entity_id', () => {
  it('joins with the latest prediction of the entity; 42 and "42" are the same entity', async () => {
    await predict(app, 'fb-ent-1', variedRow(3, 'ent-A'));
    const second = await predict(app, 'fb-ent-2', [variedRow(4, 'ent-B'), variedRow(5, 'ent-A')]);
    const res = await feedback(app, { entity_id: 'ent-A', ...truthFor(1, second.predictions[1]!) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      matched: true,
      matched_by: 'entity_id',
      request_id: 'fb-ent-2',
      row: 1,
      entity_id: 'ent-A',
      model_uuid: second.model.uuid,
    });

    const numeric = await predict(app, 'fb-ent-3', variedRow(6, 4242));
    const byString = await feedback(app, { entity_id: '4242', ...truthFor(1, numeric.predictions[0]!) });
    expect(byString.statusCode, byString.body).toBe(200);
    expect(byString.json()).toMatchObject({ request_id: 'fb-ent-3', entity_id: '4242' });

    const unknown = await feedback(app, { entity_id: 'ent-never', ...truthFor(1, numeric.predictions[0]!) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toContain('no recent prediction with entity_id "ent-never"');
  });

  it('an unknown request_id falls back to the entity_id sent with it', async () => {
    const answer = await predict(app, 'fb-ent-4', variedRow(7, 'ent-C'));
    const res = await feedback(app, { request_id: 'fb-gone', entity_id: 'ent-C', ...truthFor(1, answer.predictions[0]!) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ matched_by: 'entity_id', request_id: 'fb-ent-4' });
  });
});

describe('the prediction store is bounded (monitoring.feedback.max_predictions)', () => {
  it('keeps only the last max_predictions rows', async () => {
    const small = await trainedConfig((c) => {
      c.monitoring.feedback.max_predictions = 3;
    });
    const s = await startApp(small.config);
    try {
      const answers: Answer[] = [];
      for (let i = 0; i < 5; i++) answers.push(await predict(s.app, `fb-bound-${i}`, variedRow(i)));
      const t = (i: number) => truthFor(i, answers[i]!.predictions[0]!);
      expect((await feedback(s.app, { request_id: 'fb-bound-0', ...t(0) })).statusCode).toBe(404);
      expect((await feedback(s.app, { request_id: 'fb-bound-1', ...t(1) })).statusCode).toBe(404);
      for (const i of [2, 3, 4]) expect((await feedback(s.app, { request_id: `fb-bound-${i}`, ...t(i) })).statusCode).toBe(200);
      if (idField) expect((await feedback(s.app, { entity_id: 'fb-entity-0', ...t(0) })).statusCode).toBe(404);
      expect(s.app.feedback.store.size).toBe(3);
    } finally {
      await s.app.close();
      await s.runtime.close();
      small.cleanup();
    }
  });
});

describe('POST /feedback refuses bad bodies with 400 naming the field', () => {
  const truth = () => (isClassification ? { label: classes[0]! } : { value: 1.5 });
  const refused = async (body: unknown) => {
    const res = await feedback(app, body);
    expect(res.statusCode, res.body).toBe(400);
    const b = res.json() as { error: string; details?: { path: string; field?: string; message: string }[] };
    expect(typeof b.error).toBe('string');
    return b;
  };
  const detailOf = (b: { details?: { path: string; field?: string; message: string }[] }, field: string) =>
    b.details?.find((d) => d.field === field);

  it('no request_id and no entity_id', async () => {
    const b = await refused(truth());
    expect(b.details![0]!.path).toBe('');
    expect(b.details![0]!.message).toContain(
      idField ? 'send request_id (the request_id of the /predict answer) or entity_id' : 'send request_id',
    );
    expect(b.error).toContain('first at /: send request_id');
  });

  it(`no ${isClassification ? 'label' : 'value'}`, async () => {
    const b = await refused({ request_id: 'x' });
    const d = detailOf(b, isClassification ? 'label' : 'value')!;
    expect(d.path).toBe(isClassification ? '/label' : '/value');
    expect(d.message).toContain('is required');
  });

  it.skipIf(!isClassification)('a label that is not a class: the classes listed and the value received', async () => {
    const b = await refused({ request_id: 'x', label: 'not-a-class-xyz' });
    const d = detailOf(b, 'label')!;
    expect(d.path).toBe('/label');
    expect(d.message).toContain('must be one of');
    expect(d.message).toContain(JSON.stringify(classes[0]));
    expect(d.message).toContain('got "not-a-class-xyz"');
    const n = detailOf(await refused({ request_id: 'x', label: 3 }), 'label')!;
    expect(n.message).toContain('got 3');
  });

  it.skipIf(isClassification)('a value that is not a number', async () => {
    const d = detailOf(await refused({ request_id: 'x', value: 'abc' }), 'value')!;
    expect(d.message).toBe('expected number; got "abc"');
  });

  it('the truth in the field of the other task', async () => {
    const wrong = isClassification ? { value: 1 } : { label: 'a' };
    const b = await refused({ request_id: 'x', ...truth(), ...wrong });
    const d = detailOf(b, isClassification ? 'value' : 'label')!;
    expect(d.message).toContain(`this model is a ${modelSpec.task} model: send the truth as "${isClassification ? 'label' : 'value'}"`);
  });

  it('request_id of the wrong type, empty, or too long', async () => {
    expect(detailOf(await refused({ request_id: 5, ...truth() }), 'request_id')!.message).toBe('expected string; got 5');
    expect(detailOf(await refused({ request_id: '', ...truth() }), 'request_id')!.message).toContain('must not be empty');
    expect(detailOf(await refused({ request_id: 'r'.repeat(129), ...truth() }), 'request_id')!.message).toBe(
      'must be at most 128 characters long; got 129 characters',
    );
  });

  it('row: negative, not an integer, past max_batch_size, or without request_id', async () => {
    const max = config.service.max_batch_size;
    expect(detailOf(await refused({ request_id: 'x', row: -1, ...truth() }), 'row')!.message).toContain(
      `must be an index between 0 and ${max - 1}`,
    );
    expect(detailOf(await refused({ request_id: 'x', row: 1.5, ...truth() }), 'row')!.message).toBe('expected integer; got 1.5');
    expect(detailOf(await refused({ request_id: 'x', row: max, ...truth() }), 'row')!.message).toContain(`got ${max}`);
    if (idField)
      expect(detailOf(await refused({ entity_id: 'e', row: 1, ...truth() }), 'row')!.message).toContain('send request_id with it');
  });

  it('time that is not an ISO 8601 date-time', async () => {
    expect(detailOf(await refused({ request_id: 'x', time: 'yesterday', ...truth() }), 'time')!.message).toBe(
      'must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z; got "yesterday"',
    );
    expect(detailOf(await refused({ request_id: 'x', time: '2024-13-45T99:99:99Z', ...truth() }), 'time')!.message).toContain(
      'not a valid date-time',
    );
  });

  it('an unknown field: the allowed ones listed', async () => {
    const d = detailOf(await refused({ request_id: 'x', [UNKNOWN_FEATURE]: 1, ...truth() }), UNKNOWN_FEATURE)!;
    expect(d.message).toContain(`unknown field ${JSON.stringify(UNKNOWN_FEATURE)}; allowed: "request_id", "row"`);
  });

  it.skipIf(!!idField)('entity_id when the service has no id_field', async () => {
    expect(detailOf(await refused({ request_id: 'x', entity_id: 'e', ...truth() }), 'entity_id')!.message).toContain('no entity ID field');
  });

  it.skipIf(!idField)('entity_id of the wrong type', async () => {
    expect(detailOf(await refused({ entity_id: 1.5, ...truth() }), 'entity_id')!.message).toBe('expected string or integer; got 1.5');
  });

  it('not an object', async () => {
    expect((await refused([{ request_id: 'x' }])).error).toContain('feedback body must be one JSON object');
    expect((await refused('x')).error).toContain('got "x"');
  });
});

describe('feedback records at a real Fluentd receiver (<tag_prefix>.feedback)', () => {
  it('a matched feedback carries the model UUID, truth, prediction and judgement; an unknown ID is still logged, unmatched', async () => {
    const port = await freePort();
    const rcv = new Receiver(port);
    await rcv.start();
    const cfg: Config = {
      ...config,
      service: { ...config.service, name: 'test-svc', version: '9.8.7' },
      logging: {
        level: 'info',
        fluentd: fluentdAt(config, port, 'test-svc'),
      },
    };
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(cfg, lineCollector(lines));
    const log = new PredictionLog({ config: cfg, logger, model: () => (runtime.ready ? runtime.metadata : null) });
    const logged = buildApp({ config: cfg, runtime, logger, onPrediction: log.onPrediction, onFeedback: log.logFeedback });
    log.attach(logged);
    await logged.ready();
    try {
      const answer = await predict(logged, 'fb-log-1', [variedRow(0), variedRow(1)]);
      const truth = truthFor(0, answer.predictions[1]!);
      expect((await feedback(logged, { request_id: 'fb-log-1', row: 1, time: '2024-05-01T12:00:00Z', ...truth })).statusCode).toBe(200);
      expect((await feedback(logged, { request_id: 'fb-log-unknown', row: 2, ...truth })).statusCode).toBe(404);
      await waitFor(() => rcv.withTag('test-svc.feedback').length >= 2, 5_000, '2 feedback records');
      const records = rcv.withTag('test-svc.feedback');
      expect(records).toHaveLength(2);

      const hit = records.find((r) => r.matched === true)!;
      const p = answer.predictions[1]!;
      expect(hit).toMatchObject({
        log_type: 'feedback',
        request_id: 'fb-log-1',
        row_index: 1,
        entity_id: idField ? 'fb-entity-1' : null,
        matched_by: 'request_id',
        counted: true,
        observed_at: '2024-05-01T12:00:00.000Z',
        service: { name: 'test-svc', version: '9.8.7' },
        model: { name: runtime.metadata.model_name, uuid: answer.model.uuid, created_at: runtime.metadata.created_at },
      });
      expect(typeof hit.event_id).toBe('string');
      if (isClassification)
        expect(hit).toMatchObject({
          true_label: (truth as { label: string }).label,
          predicted_label: p.label,
          correct: (truth as { label: string }).label === p.label,
        });
      else {
        expect(hit.true_value).toBe((truth as { value: number }).value);
        expect(hit.predicted_value).toBeCloseTo(p.value!, 6);
        expect(hit.abs_error).toBeCloseTo(Math.abs((truth as { value: number }).value - p.value!), 6);
      }

      const miss = records.find((r) => r.matched === false)!;
      expect(miss).toMatchObject({ log_type: 'feedback', request_id: 'fb-log-unknown', row_index: 2, matched_by: null, model: null });
      expect(miss[isClassification ? 'true_label' : 'true_value']).toBe(
        isClassification ? (truth as { label: string }).label : (truth as { value: number }).value,
      );
      expect(miss).not.toHaveProperty('correct');
      expect(miss).not.toHaveProperty('abs_error');
      // The 404 is also an error record (every answer >= 400 is), and both reach stdout.
      await waitFor(() => rcv.withTag('test-svc.error').length >= 1, 5_000, 'the 404 error record');
      expect(rcv.withTag('test-svc.error')[0]).toMatchObject({ status_code: 404, path: '/feedback' });
      expect(lines.filter((l) => l.log_type === 'feedback')).toHaveLength(2);
    } finally {
      await withTimeout(logged.close(), 15_000, 'app.close');
      await rcv.stop();
    }
  });
});
