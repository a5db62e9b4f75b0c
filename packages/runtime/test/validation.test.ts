// The /predict body check on a fixed spec with every feature type and hostile names, whatever this
// service's features are (api.test.ts runs the same checks through HTTP on the real spec).
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../src/schemas/model-spec.js';
import { createBodyValidator } from '../src/validation.js';

const spec: ModelSpec = {
  task: 'classification',
  target: 'y',
  classes: null,
  idField: 'id',
  featureHash: 'test',
  features: [
    { name: '__proto__', type: 'number', required: true, min: 0, max: 1, example: 0.5, redact: false },
    { name: 'count', type: 'integer', required: true, min: 0, max: 10, example: 1, redact: false },
    { name: 'colour', type: 'category', required: true, values: ['red', 'green'], example: 'red', redact: false },
    { name: 'flag', type: 'boolean', required: false, default: false, example: true, redact: false },
    { name: 'constructor', type: 'number', required: false, default: 7, example: 1, redact: false },
    { name: 'a/b~c', type: 'number', required: false, default: 2, example: 1, redact: false },
    { name: 'secret', type: 'number', required: false, default: 0, max: 5, example: 1, redact: true },
  ],
};
const properties: Record<string, object> = JSON.parse('{"__proto__": {"type": "number", "minimum": 0, "maximum": 1}}');
Object.assign(properties, {
  count: { type: 'integer', minimum: 0, maximum: 10 },
  colour: { type: 'string', enum: ['red', 'green'] },
  flag: { type: 'boolean', default: false },
  constructor: { type: 'number', default: 7 },
  'a/b~c': { type: 'number', default: 2 },
  secret: { type: 'number', maximum: 5, default: 0 },
  id: { type: ['string', 'integer'], minLength: 1 },
});
const rowSchema = { type: 'object', properties, required: ['__proto__', 'count', 'colour'], additionalProperties: false };
const check = createBodyValidator(spec, rowSchema, 3);
const row = (json: string) => JSON.parse(json) as Record<string, unknown>;
const GOOD = '{"__proto__": 0.5, "count": 3, "colour": "red"}';

const detailsOf = (body: unknown) => {
  const result = check(body);
  if (!('error' in result)) throw new Error('expected a refusal');
  return result.error.details ?? [];
};

describe('createBodyValidator', () => {
  it('accepts a row, keeps __proto__ as data and fills defaults as own properties (constructor too)', () => {
    const body = row(GOOD);
    const result = check(body);
    expect(result).toEqual({ rows: [body] });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(body, '__proto__')?.value).toBe(0.5);
    expect(Object.hasOwn(body, 'constructor') && body.constructor).toBe(7);
    expect(body).toMatchObject({ flag: false, 'a/b~c': 2, secret: 0 });
  });

  it('validates a feature named __proto__ like any other', () => {
    expect(detailsOf(row('{"__proto__": 2, "count": 3, "colour": "red"}'))).toEqual([
      { path: '/__proto__', field: '__proto__', message: 'must be <= 1; got 2' },
    ]);
    expect(detailsOf(row('{"count": 3, "colour": "red"}'))).toEqual([
      { path: '/__proto__', field: '__proto__', message: 'is required (number between 0 and 1)' },
    ]);
  });

  it('says what is allowed and what was received, per keyword', () => {
    const details = detailsOf(
      row('{"__proto__": "x", "count": 1.5, "colour": "blue", "flag": "yes", "a/b~c": null, "id": "", "shade": 1}'),
    );
    expect(details).toEqual([
      { path: '/__proto__', field: '__proto__', message: 'expected number; got "x"' },
      { path: '/count', field: 'count', message: 'expected integer; got 1.5' },
      { path: '/colour', field: 'colour', message: 'must be one of "red", "green"; got "blue"' },
      { path: '/flag', field: 'flag', message: 'expected boolean; got "yes"' },
      { path: '/a~1b~0c', field: 'a/b~c', message: 'expected number; got null' },
      { path: '/id', field: 'id', message: 'must be at least 1 character long; got ""' },
      {
        path: '/shade',
        field: 'shade',
        message: 'unknown feature "shade"; allowed: "__proto__", "count", "colour", "flag", "constructor", "a/b~c", "secret", "id"',
      },
    ]);
    expect(detailsOf(row('{"__proto__": 0, "count": 3, "colour": "red", "id": true}'))[0]!.message).toBe(
      'expected string or integer; got true',
    );
  });

  it('names the row in a batch, and limits the batch size', () => {
    expect(detailsOf([row(GOOD), row('{"__proto__": 0, "count": 11, "colour": "red"}')])).toEqual([
      { path: '/1/count', field: 'count', row: 1, message: 'must be <= 10; got 11' },
    ]);
    const over = check([row(GOOD), row(GOOD), row(GOOD), row(GOOD)]);
    expect('error' in over && over.error.message).toBe(
      'a batch of 4 rows is over the limit of 3 rows (service.max_batch_size); split it into smaller requests',
    );
  });

  it('never quotes the value of a redacted feature in the one-sentence error', () => {
    const result = check(row('{"__proto__": 0, "count": 3, "colour": "red", "secret": 99}'));
    expect('error' in result && result.error.message).toBe(
      'invalid request body: one problem; first at /secret: invalid value (see details)',
    );
  });
});
