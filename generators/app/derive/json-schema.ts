import type { Feature, ServiceSpec } from '../spec/types.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of one feature; the single source for fastify's validation, OpenAPI and zod. */
export function featureJsonSchema(f: Feature): JsonSchema {
  const common = { description: f.description, default: f.default, examples: [f.example] };
  switch (f.type) {
    case 'number':
    case 'integer':
      return { type: f.type, minimum: f.min, maximum: f.max, ...common };
    case 'boolean':
      return { type: 'boolean', ...common };
    case 'string':
      return { type: 'string', maxLength: f.max_length, ...common };
    case 'category':
      return { type: 'string', enum: f.values, ...common };
  }
}

export const ID_MAX_LENGTH = 256;

/** One request row: the features plus the optional entity ID; unknown keys are refused. */
export function rowJsonSchema(spec: ServiceSpec): JsonSchema {
  // Feature names are data: a null-prototype object keeps `__proto__` an ordinary key.
  const properties: Record<string, JsonSchema> = Object.create(null);
  for (const f of spec.features) properties[f.name] = featureJsonSchema(f);
  if (spec.idField)
    properties[spec.idField] = {
      type: ['string', 'integer'],
      minLength: 1,
      maxLength: ID_MAX_LENGTH,
      description:
        'ID of the entity this prediction is for (logged with the prediction, echoed back as entity_id); an integer ID must lie within ±(2^53 - 1), send a longer one as a string',
      examples: ['entity-42'],
    };
  return {
    type: 'object',
    title: 'FeatureRow',
    properties,
    required: spec.features.filter((f) => f.required).map((f) => f.name),
    additionalProperties: false,
  };
}

export function exampleRow(spec: ServiceSpec): Record<string, unknown> {
  const row: Record<string, unknown> = Object.create(null);
  for (const f of spec.features) row[f.name] = f.example;
  if (spec.idField) row[spec.idField] = 'entity-42';
  return row;
}
