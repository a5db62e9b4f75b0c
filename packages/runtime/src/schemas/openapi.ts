// The named schemas of the OpenAPI document (components.schemas: the types a generated client
// gets, e.g. FeatureRow, Prediction, Error) and its answer examples. The routes' own wire schemas
// are in api.ts; this is how they are documented.
import { attachEntityIds } from '../prediction-event.js';
import type { ModelMetadata, Prediction } from '../model/runtime.js';
import { errorResponse, toOpenApi30, type JsonSchema } from './api.js';
import type { FeatureModule, ModelSpec, Row } from './model-spec.js';

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const defineOwn = <T extends object>(o: T, key: string, value: unknown): T =>
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

/** The rows of the documented /predict examples: the example row, and a second one with another entity ID. */
export function exampleRows({ modelSpec: spec, exampleRow }: FeatureModule): Row[] {
  const second = spec.idField === null ? { ...exampleRow } : defineOwn({ ...exampleRow }, spec.idField, 'entity-43');
  return [exampleRow, second];
}

/**
 * One row's answer. Classification: `label` is one of the classes (from features.yaml, or from the
 * loaded bundle when they are learnt at training) and `probabilities` names them; regression: `value`.
 */
export function predictionSchema(spec: ModelSpec, classes: string[] | null): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  if (spec.task === 'classification') {
    properties.label = { type: 'string', description: 'Predicted class', ...(classes ? { enum: classes } : {}) };
    const perClass: Record<string, JsonSchema> = {};
    for (const c of classes ?? []) defineOwn(perClass, c, { type: 'number', minimum: 0, maximum: 1 });
    properties.probabilities = {
      type: 'object',
      description: 'Class -> probability of the top model.top_n classes, highest first',
      ...(classes ? { properties: perClass } : {}),
      additionalProperties: { type: 'number' },
    };
  } else {
    properties.label = { type: 'string', nullable: true, enum: [null], description: 'Always null for regression' };
    properties.value = { type: 'number', description: 'Predicted value' };
  }
  if (spec.idField)
    properties.entity_id = { anyOf: [{ type: 'string' }, { type: 'integer' }], description: `The row's ${spec.idField}, when it was sent` };
  return { type: 'object', properties, required: spec.task === 'classification' ? ['label'] : ['label', 'value'] };
}

/** components.schemas for /predict, its errors and the model reference. */
export function predictComponents(
  { modelSpec: spec, rowJsonSchema }: FeatureModule,
  classes: string[] | null,
  maxBatchSize: number,
): Record<string, JsonSchema> {
  const { details, ...errorProperties } = errorResponse.properties;
  return {
    FeatureRow: toOpenApi30(rowJsonSchema) as JsonSchema,
    FeatureRowBatch: { type: 'array', items: ref('FeatureRow'), minItems: 1, maxItems: maxBatchSize },
    PredictRequest: {
      description: `One feature row, or an array of 1 to ${maxBatchSize} rows`,
      anyOf: [ref('FeatureRow'), ref('FeatureRowBatch')],
    },
    ModelRef: {
      type: 'object',
      description: 'The model bundle that answered',
      properties: { name: { type: 'string' }, uuid: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } },
      required: ['name', 'uuid', 'created_at'],
    },
    Prediction: predictionSchema(spec, classes),
    PredictResponse: {
      type: 'object',
      description: 'One prediction per row, in the order of the rows',
      properties: {
        request_id: { type: 'string', description: 'The x-request-id header, sent or generated' },
        model: ref('ModelRef'),
        predictions: { type: 'array', items: ref('Prediction') },
      },
      required: ['request_id', 'model', 'predictions'],
    },
    ErrorDetail: details.items as unknown as JsonSchema,
    Error: {
      type: 'object',
      description: errorResponse.description,
      properties: { ...errorProperties, details: { type: 'array', items: ref('ErrorDetail') } },
      required: ['error'],
    },
  };
}

/** The /predict request examples. */
export function predictRequestExamples(features: FeatureModule): JsonSchema {
  const [one, two] = exampleRows(features);
  return { one_row: { summary: 'One row', value: one }, batch: { summary: 'A batch of two rows', value: [one, two] } };
}

/** The /predict 200 examples: the model's own answers for the request examples (rows with defaults filled, as validated). */
export function predictAnswerExamples(rows: Row[], predictions: Prediction[], meta: ModelMetadata, spec: ModelSpec): JsonSchema {
  const answered = attachEntityIds(rows, predictions, spec.idField);
  const answer = (n: number) => ({
    request_id: 'example-request-id',
    model: { name: meta.model_name, uuid: meta.model_uuid, created_at: meta.created_at },
    predictions: answered.slice(0, n),
  });
  return {
    one_row: { summary: `The model's answer for the one-row example (model ${meta.model_uuid})`, value: answer(1) },
    batch: { summary: `The model's answer for the batch example (model ${meta.model_uuid})`, value: answer(2) },
  };
}
