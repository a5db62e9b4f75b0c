import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { attachEntityIds, notifyPrediction, type PredictionListener } from '../prediction-event.js';
import { errorResponse, predictBody, predictResponse } from '../schemas/api.js';
import type { Row } from '../schemas/model-spec.js';

export interface PredictRouteOptions {
  /** The prediction log seam (see prediction-event.ts). */
  onPrediction?: PredictionListener;
}

const predictRoute: FastifyPluginAsync<PredictRouteOptions> = async (app, opts) => {
  const { runtime, config, batcher, checkRows: checkBody } = app;
  const { modelSpec, rowJsonSchema } = app.features;
  const maxBatchSize = config.service.max_batch_size;
  const topN = config.model.top_n;
  const idField = modelSpec.idField;

  app.post<{ Body: Row | Row[] }>('/predict', {
    schema: {
      tags: ['predict'],
      summary: 'Predict one row or a batch of rows',
      description:
        `Send one feature row (an object) or an array of 1 to ${maxBatchSize} rows. ` +
        'The answer has one prediction per row, in order. Unknown features are refused; optional features take their default. ' +
        'Send an `x-request-id` header (printable, at most 128 characters) to tie the answer and the prediction log to your call; otherwise one is generated. ' +
        'Both come back in the `x-request-id` response header and in `request_id`.',
      body: predictBody(rowJsonSchema, maxBatchSize),
      response: {
        200: predictResponse(modelSpec),
        400: { ...errorResponse, description: 'Malformed JSON, or a row that does not match the features (see details)' },
        413: { ...errorResponse, description: `Body over service.body_limit_bytes (${config.service.body_limit_bytes} bytes)` },
        415: { ...errorResponse, description: 'Content type other than application/json' },
        503: { ...errorResponse, description: 'The model is not loaded yet; retry after GET /health/ready answers 200' },
      },
    },
    // The body schema above is for OpenAPI; validation picks the row or batch check by Array.isArray,
    // so a bad row is reported once (not once per anyOf branch) and names its row.
    validatorCompiler: ({ httpPart }) => {
      if (httpPart !== 'body') return () => true;
      return (body: unknown) => {
        const result = checkBody(body);
        return 'error' in result ? { error: result.error } : true;
      };
    },
    handler: async (request, reply) => {
      if (!runtime.ready) throw new HttpError(503, 'the model is not loaded yet; retry when GET /health/ready answers 200');
      const rows = Array.isArray(request.body) ? request.body : [request.body];
      const predictions = await batcher.predict(rows, topN);
      const meta = runtime.metadata;
      const answered = attachEntityIds(rows, predictions, idField);
      notifyPrediction(request, opts.onPrediction, () => ({
        requestId: request.id,
        rows,
        predictions: answered,
        latencyMs: reply.elapsedTime,
        model: meta,
      }));
      return {
        request_id: request.id,
        model: { name: meta.model_name, uuid: meta.model_uuid, created_at: meta.created_at },
        predictions: answered,
      };
    },
  });
};

export default predictRoute;
