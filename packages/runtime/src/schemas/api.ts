// Request and response JSON Schemas of the routes, built from the generated row schema.
import type { JsonSchema, ModelSpec } from './model-spec.js';

export type { JsonSchema } from './model-spec.js';

export const errorResponse = {
  type: 'object',
  description: 'What was wrong; `details` name each bad value of the body',
  properties: {
    error: { type: 'string', description: 'One sentence: what was wrong and what is allowed' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'JSON Pointer into the request body, e.g. /3/sepal_length' },
          field: { type: 'string', description: 'Feature name' },
          row: { type: 'integer', description: 'Index of the row in a batch' },
          message: { type: 'string', description: 'What is allowed and what was received' },
        },
        required: ['path', 'message'],
      },
    },
  },
  required: ['error'],
} as const;

/**
 * Body of POST /predict: one row or a batch, with examples. The route declares it, but neither
 * fastify (see the route's validatorCompiler) nor @fastify/swagger uses it as is: @fastify/swagger
 * drops a property named `__proto__`, so the document gets the named schemas of openapi.ts (docs.ts).
 */
export function predictBody(rowJsonSchema: JsonSchema, maxBatchSize: number): JsonSchema {
  return {
    description: `One feature row, or an array of 1 to ${maxBatchSize} rows`,
    anyOf: [rowJsonSchema, batchSchema(rowJsonSchema, maxBatchSize)],
  };
}

const defineOwn = <T extends object>(o: T, key: string, value: unknown): T =>
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

/**
 * JSON Schema -> OpenAPI 3.0 schema object: one `example` instead of `examples`, `anyOf` instead of
 * a list of types. Keys stay own properties (a feature may be named `__proto__`).
 */
export function toOpenApi30(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi30);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'examples' && Array.isArray(value)) defineOwn(out, 'example', value[0]);
    else if (key === 'type' && Array.isArray(value))
      defineOwn(
        out,
        'anyOf',
        value.map((type) => ({ type })),
      );
    else if (key === 'properties')
      defineOwn(out, key, Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toOpenApi30(v)])));
    else defineOwn(out, key, key === 'enum' || key === 'required' || key === 'default' || key === 'example' ? value : toOpenApi30(value));
  }
  return out;
}

export function batchSchema(rowJsonSchema: JsonSchema, maxBatchSize: number): JsonSchema {
  return { type: 'array', title: 'FeatureRowBatch', items: rowJsonSchema, minItems: 1, maxItems: maxBatchSize };
}

/**
 * 200 of POST /predict as serialized (fast-json-stringify). Class -> probability declares no
 * per-class properties: fast-json-stringify writes declared properties in schema order, which would
 * undo "highest first". The documented form (schemas/openapi.ts) names the classes.
 */
export function predictResponse(spec: ModelSpec): JsonSchema {
  const prediction: Record<string, JsonSchema> = {
    label: { type: 'string', nullable: true, description: 'Predicted class (classification); null for regression' },
    probabilities: {
      type: 'object',
      description: 'Class -> probability of the top model.top_n classes, highest first (classification)',
      additionalProperties: { type: 'number' },
    },
    value: { type: 'number', description: 'Predicted value (regression)' },
  };
  if (spec.idField) prediction.entity_id = { type: ['string', 'integer'], description: `The row's ${spec.idField}, when it was sent` };
  return {
    type: 'object',
    description: 'One prediction per row, in the order of the rows',
    properties: {
      request_id: { type: 'string', description: 'The x-request-id header, sent or generated' },
      model: {
        type: 'object',
        properties: { name: { type: 'string' }, uuid: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } },
        required: ['name', 'uuid', 'created_at'],
      },
      predictions: { type: 'array', items: { type: 'object', properties: prediction, required: ['label'] } },
    },
    required: ['request_id', 'model', 'predictions'],
  };
}

export const liveResponse = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['live'] } },
  required: ['status'],
} as const;

export const readyResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'loading', 'draining'] },
    model: { type: 'object', properties: { name: { type: 'string' }, uuid: { type: 'string' }, created_at: { type: 'string' } } },
  },
  required: ['status'],
} as const;
