import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { JsonSchema } from '../schemas/api.js';
import {
  exampleRows,
  predictAnswerExamples,
  predictComponents,
  predictionSchema,
  predictRequestExamples,
  ref,
} from '../schemas/openapi.js';
import { exampleInferRequest, oipComponents } from './v2/schemas.js';
import { outputTensors } from './v2/tensors.js';

/** operationId of the service's routes (a generated client's method names); other routes get one from method and path. */
const OPERATION_IDS: Record<string, string> = {
  'post /predict': 'predict',
  'get /health/live': 'getLive',
  'get /health/ready': 'getReady',
  'get /metrics': 'getMetrics',
  'get /monitoring/drift': 'getDrift',
  'post /feedback': 'sendFeedback',
  'get /feedback/stats': 'getFeedbackStats',
  'get /v2/health/live': 'oipServerLive',
  'get /v2/health/ready': 'oipServerReady',
  'get /v2': 'oipServerMetadata',
  'get /v2/models/{name}': 'oipModelMetadata',
  'get /v2/models/{name}/ready': 'oipModelReady',
  'post /v2/models/{name}/infer': 'oipInfer',
  'get /v2/models/{name}/versions/{version}': 'oipModelVersionMetadata',
  'get /v2/models/{name}/versions/{version}/ready': 'oipModelVersionReady',
  'post /v2/models/{name}/versions/{version}/infer': 'oipModelVersionInfer',
};

/** `get /a/{id}/b-c` -> getAByIdBC */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split(/[^A-Za-z0-9{}]+/)
    .filter(Boolean)
    .map((w) => (w.startsWith('{') ? `By${w.slice(1, 2).toUpperCase()}${w.slice(2, -1)}` : w[0]!.toUpperCase() + w.slice(1)));
  return OPERATION_IDS[`${method} ${path}`] ?? method + words.join('');
}

type Media = { schema?: unknown; examples?: unknown };
type Response = { description?: string; headers?: Record<string, unknown>; content?: Record<string, Media> };
type Operation = {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, Response>;
};

/** Replaces the contents of `target` with those of `source`, keeping the object (the cached document holds it). */
function replaceContents(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(target)) delete target[key];
  for (const [key, value] of Object.entries(source))
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * OpenAPI 3 document at /docs/json and Swagger UI at /docs. Registered on the root instance,
 * before the routes, so the swagger onRoute hook sees every route.
 */
export function registerDocs(app: FastifyInstance): void {
  const { service, model } = app.config;
  const { runtime, features, checkRows: checkBody } = app;
  const { modelSpec } = features;
  const maxBatchSize = service.max_batch_size;
  const inferExample = exampleInferRequest(modelSpec, features.exampleRow);
  const oip = oipComponents(maxBatchSize, inferExample);
  const schemas: Record<string, JsonSchema> = { ...predictComponents(features, modelSpec.classes, maxBatchSize), ...oip };

  // The 200 examples are the model's own answers, computed once per loaded model (on the first
  // /docs request after it loaded) and written into these objects, which the document holds.
  const predictAnswers: Record<string, unknown> = {};
  const inferAnswers: Record<string, unknown> = {};
  let shownModel: string | null = null;
  const showModelAnswers = async (): Promise<void> => {
    if (!runtime.ready || runtime.metadata.model_uuid === shownModel) return;
    const meta = runtime.metadata;
    shownModel = meta.model_uuid;
    try {
      // Classes learnt at training are known from the bundle only.
      if (!modelSpec.classes && meta.classes) replaceContents(schemas.Prediction!, predictionSchema(modelSpec, meta.classes));
      const checked = checkBody(exampleRows(features));
      if ('error' in checked) throw new Error(checked.error.message);
      const { rows } = checked;
      replaceContents(predictAnswers, predictAnswerExamples(rows, await runtime.predict(rows, model.top_n), meta, modelSpec));
      const all = await runtime.predict(rows.slice(0, 1), Number.MAX_SAFE_INTEGER);
      const request = inferExample;
      replaceContents(inferAnswers, {
        example: {
          summary: `The model's answer for the request example (model ${meta.model_uuid})`,
          value: { model_name: model.name, model_version: meta.model_uuid, id: request.id, outputs: outputTensors(all, meta, null) },
        },
      });
    } catch (err) {
      app.log.warn({ err }, 'the OpenAPI answer examples could not be computed');
    }
  };

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: service.name, version: service.version, description: service.description },
      // Relative: "Try it out" calls the host the page was loaded from, behind any ingress.
      servers: [{ url: '/' }],
      tags: [
        { name: 'predict', description: 'Model predictions' },
        { name: 'health', description: 'Liveness and readiness probes' },
        { name: 'operations', description: 'Prometheus metrics (GET /metrics)' },
        { name: 'oip-v2', description: 'Open Inference Protocol (KServe V2) REST: health, metadata and infer beside /predict' },
        { name: 'monitoring', description: 'Model monitoring: feature drift against the training data' },
        {
          name: 'feedback',
          description: 'Ground truth for earlier predictions (by request or entity ID) and the rolling model performance it gives',
        },
      ],
    },
    // The named schemas and the /predict body are set on the finished document: @fastify/swagger
    // would drop a feature or class named `__proto__`, and the served 200 schema leaves the classes out (schemas/api.ts).
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      openapiObject.components = { ...openapiObject.components, schemas: { ...openapiObject.components?.schemas, ...schemas } as never };
      const json = (schema: unknown, examples?: unknown): Record<string, Media> => ({
        'application/json': examples ? { schema, examples } : { schema },
      });
      for (const [path, item] of Object.entries(openapiObject.paths ?? {}))
        for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
          op.operationId ??= operationIdOf(method, path);
          // Error answers: Error (with details) or the OIP error object.
          for (const [status, response] of Object.entries(op.responses ?? {})) {
            const schema = response.content?.['application/json']?.schema as { properties?: Record<string, unknown> } | undefined;
            if (Number(status) >= 400 && schema?.properties?.error)
              response.content = json(ref(schema.properties.details ? 'Error' : 'OipError'));
          }
          if (path.startsWith('/v2/') && path.endsWith('/infer')) {
            op.requestBody = {
              ...op.requestBody,
              content: json(ref('OipInferRequest'), { example: { summary: 'The example row', value: inferExample } }),
            };
            op.responses = {
              ...op.responses,
              200: { description: 'The outputs for the rows', content: json(ref('OipInferResponse'), inferAnswers) },
              413: {
                description: `Body over service.body_limit_bytes (${service.body_limit_bytes} bytes)`,
                content: json(ref('OipError')),
              },
              415: { description: 'Content type other than application/json', content: json(ref('OipError')) },
            };
          } else if (path.startsWith('/v2')) {
            const ok = op.responses?.['200'];
            const name = path === '/v2' ? 'OipServerMetadata' : path.endsWith('/ready') ? null : 'OipModelMetadata';
            if (ok && name) ok.content = json(ref(name));
          }
        }
      const post = openapiObject.paths?.['/predict']?.post as unknown as Operation | undefined;
      if (!post) return openapiObject;
      post.requestBody = { ...post.requestBody, content: json(ref('PredictRequest'), predictRequestExamples(features)) };
      const ok = post.responses?.['200'];
      if (ok) ok.content = json(ref('PredictResponse'), predictAnswers);
      // x-request-id: taken from the request when printable and at most 128 characters, else generated; always sent back.
      post.parameters = [
        ...(post.parameters ?? []),
        {
          name: 'x-request-id',
          in: 'header',
          required: false,
          description: 'Your ID for this call (printable ASCII, at most 128 characters); generated when absent or invalid',
          schema: { type: 'string', maxLength: 128 },
        },
      ];
      for (const response of Object.values(post.responses ?? {}))
        response.headers = {
          ...response.headers,
          'x-request-id': { description: 'The request ID: yours, or the generated one', schema: { type: 'string' } },
        };
      return openapiObject;
    },
  });
  // Swagger UI in its own scope, so the hook that fills in the answer examples runs for /docs only.
  app.register(async (docs) => {
    docs.addHook('onRequest', async () => showModelAnswers());
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { tryItOutEnabled: true, deepLinking: true } });
  });
}
