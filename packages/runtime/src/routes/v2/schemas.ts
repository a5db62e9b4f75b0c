// JSON Schemas of the Open Inference Protocol (KServe V2) REST routes, for the OpenAPI document.
// The routes do not validate with them (the infer body is checked by tensors.ts and the /predict
// row validator) and do not serialize with them (JSON.stringify): they document the wire shapes.
import { toOpenApi30, type JsonSchema } from '../../schemas/api.js';
import { ref } from '../../schemas/openapi.js';
import type { ModelSpec } from '../../schemas/model-spec.js';
import { DATATYPES, datatypeOf } from './tensors.js';

const shape = { type: 'array', items: { type: 'integer' }, description: 'Dimensions; -1 in metadata: any size' } as const;
const datatype = { type: 'string', enum: [...DATATYPES] } as const;
const parameters = {
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  description: 'Optional parameters: string, number or boolean values (checked, then ignored by this server)',
} as const;

/** The platform name of ONNX Runtime in the protocol's model metadata (`<framework>_<format>`). */
export const PLATFORM = 'onnx_onnxv1';

/** `{ "error": "..." }`: the OIP error object. */
export const oipError = {
  type: 'object',
  description: 'What was wrong, naming the input (Open Inference Protocol error object)',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const serverMetadata = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'config service.name' },
    version: { type: 'string', description: 'config service.version' },
    extensions: { type: 'array', items: { type: 'string' }, description: 'Protocol extensions supported (none)' },
  },
  required: ['name', 'version', 'extensions'],
} as const;

const metadataTensor = {
  type: 'object',
  properties: { name: { type: 'string' }, datatype, shape },
  required: ['name', 'datatype', 'shape'],
} as const;

export const modelMetadata = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'config model.name' },
    versions: { type: 'array', items: { type: 'string' }, description: 'The UUID of the loaded model bundle (metadata.json model_uuid)' },
    platform: { type: 'string', enum: [PLATFORM] },
    inputs: { type: 'array', items: metadataTensor, description: 'One input per feature, in features.yaml order' },
    outputs: {
      type: 'array',
      items: metadataTensor,
      description: 'label and probabilities [N, classes] (classification) or value (regression)',
    },
  },
  required: ['name', 'platform', 'inputs', 'outputs'],
} as const;

/** Health answers: judged by status code (200 true, 503 false); the body says the same. */
export const liveAnswer = { type: 'object', properties: { live: { type: 'boolean' } }, required: ['live'] } as const;
export const readyAnswer = { type: 'object', properties: { ready: { type: 'boolean' } }, required: ['ready'] } as const;
export const modelReadyAnswer = {
  type: 'object',
  properties: { name: { type: 'string' }, ready: { type: 'boolean' } },
  required: ['name', 'ready'],
} as const;

/** The feature-per-input inference request of the example row (used by /docs and tests). */
export function exampleInferRequest(spec: ModelSpec, row: Record<string, unknown>) {
  return {
    id: 'example-1',
    inputs: spec.features
      .filter((f) => Object.hasOwn(row, f.name))
      .map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [1], data: [row[f.name]] })),
  };
}

export function inferRequest(maxBatchSize: number, example: ReturnType<typeof exampleInferRequest>) {
  return {
    type: 'object',
    description:
      `One input per feature (see GET /v2/models/{name}): shape [N] (or [N, 1]) with N = 1 to ${maxBatchSize} rows, data the N values in row order. ` +
      'Values are checked as in POST /predict (ranges, categories); optional features may be left out.',
    properties: {
      id: { type: 'string', description: 'Echoed in the answer' },
      parameters,
      inputs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Feature name' },
            datatype,
            shape,
            parameters,
            data: { type: 'array', items: {}, description: 'Flat, row-major' },
          },
          required: ['name', 'datatype', 'shape', 'data'],
        },
      },
      outputs: {
        type: 'array',
        description: 'Outputs to answer with (absent or empty: all)',
        items: { type: 'object', properties: { name: { type: 'string' }, parameters }, required: ['name'] },
      },
    },
    required: ['inputs'],
    examples: [example],
  };
}

export const inferResponse = {
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string', description: 'The model UUID' },
    id: { type: 'string', description: 'The request id, when one was sent' },
    parameters,
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        description: 'label: BYTES [N]; probabilities: FP32 [N, classes] in the class order of the model; value: FP32 [N]',
        properties: {
          name: { type: 'string', enum: ['label', 'probabilities', 'value'] },
          datatype,
          shape,
          data: { type: 'array', items: {} },
        },
        required: ['name', 'datatype', 'shape', 'data'],
      },
    },
  },
  required: ['model_name', 'outputs'],
} as const;

/**
 * components.schemas of the OIP routes (the names a generated client gets), and the $ref each
 * documented answer or body takes: the route's schema above, once named.
 */
export function oipComponents(maxBatchSize: number, example: ReturnType<typeof exampleInferRequest>): Record<string, JsonSchema> {
  const named = (schema: object, replace: Record<string, JsonSchema> = {}) => ({ ...(toOpenApi30(schema) as JsonSchema), ...replace });
  const request = inferRequest(maxBatchSize, example);
  const requestProperties = request.properties;
  return {
    OipError: named(oipError),
    OipParameters: named(parameters),
    OipServerMetadata: named(serverMetadata),
    OipMetadataTensor: named(metadataTensor),
    OipModelMetadata: named(modelMetadata, {
      properties: {
        ...(toOpenApi30(modelMetadata.properties) as JsonSchema),
        inputs: { ...modelMetadata.properties.inputs, items: ref('OipMetadataTensor') },
        outputs: { ...modelMetadata.properties.outputs, items: ref('OipMetadataTensor') },
      },
    }),
    OipRequestInput: named({
      ...requestProperties.inputs.items,
      properties: { ...requestProperties.inputs.items.properties, parameters: ref('OipParameters') },
    }),
    OipRequestOutput: named({
      ...requestProperties.outputs.items,
      properties: { name: { type: 'string' }, parameters: ref('OipParameters') },
    }),
    OipInferRequest: named(request, {
      properties: {
        ...(toOpenApi30(requestProperties) as JsonSchema),
        parameters: ref('OipParameters'),
        inputs: { ...requestProperties.inputs, items: ref('OipRequestInput') },
        outputs: { ...requestProperties.outputs, items: ref('OipRequestOutput') },
      },
    }),
    OipResponseOutput: named(inferResponse.properties.outputs.items),
    OipInferResponse: named(inferResponse, {
      properties: {
        ...(toOpenApi30(inferResponse.properties) as JsonSchema),
        parameters: ref('OipParameters'),
        outputs: { type: 'array', items: ref('OipResponseOutput') },
      },
    }),
  };
}
