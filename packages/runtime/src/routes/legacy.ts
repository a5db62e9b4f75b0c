// The Python template's API (github.com/FlorianBorn/machine-learning-microservice-template), for the
// clients written against it: POST /api/predictions, POST /api/proba_predictions, GET /ping.
// On when config service.legacy_api is true (the default of a config migrated from the template).
// Rows are checked as on /predict; each call is logged as a /predict call is.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { Prediction } from '../model/runtime.js';
import { attachEntityIds, notifyPrediction, type PredictionListener } from '../prediction-event.js';
import { batchSchema, errorResponse, toOpenApi30 } from '../schemas/api.js';
import type { Row } from '../schemas/model-spec.js';

export interface LegacyRouteOptions {
  /** The prediction log seam (see prediction-event.ts). */
  onPrediction?: PredictionListener;
}

/** The runtime clamps top-N to the number of classes: this asks for all of them. */
const ALL_CLASSES = Number.MAX_SAFE_INTEGER;

const legacyRoutes: FastifyPluginAsync<LegacyRouteOptions> = async (app, opts) => {
  const { runtime, config, batcher, checkRows: checkBody } = app;
  if (!config.service.legacy_api) return;
  const { modelSpec, rowJsonSchema } = app.features;
  const maxBatchSize = config.service.max_batch_size;
  const topN = config.model.top_n;
  const tags = ['legacy'];
  const errors = {
    400: { ...errorResponse, description: 'Not a JSON array of rows, or a row that does not match the features (see details)' },
    503: { ...errorResponse, description: 'The model is not loaded yet; retry after GET /health/ready answers 200' },
  };
  const body = {
    ...(toOpenApi30(batchSchema(rowJsonSchema, maxBatchSize)) as object),
    description: `A JSON array of 1 to ${maxBatchSize} rows (the template's request format)`,
  };
  // The template took a list only; the rest of the check is /predict's (see routes/predict.ts).
  const validatorCompiler = ({ httpPart }: { httpPart?: string }) => {
    if (httpPart !== 'body') return () => true;
    return (sent: unknown) => {
      if (!Array.isArray(sent))
        return {
          error: new HttpError(
            400,
            `this route of the template's API takes a JSON array of rows; got ${sent === null ? 'null' : typeof sent}. Send [row, ...], or use POST /predict`,
          ),
        };
      const result = checkBody(sent);
      return 'error' in result ? { error: result.error } : true;
    };
  };

  /** Predicts the rows and hands the call to the prediction log as /predict does (top_n classes). */
  const predict = async (request: FastifyRequest<{ Body: Row[] }>, reply: FastifyReply, classes: number): Promise<Prediction[]> => {
    if (!runtime.ready) throw new HttpError(503, 'the model is not loaded yet; retry when GET /health/ready answers 200');
    const rows = request.body;
    const predictions = await batcher.predict(rows, classes);
    notifyPrediction(request, opts.onPrediction, () => {
      const logged =
        classes === topN
          ? predictions
          : predictions.map((p) => ({
              ...p,
              probabilities: p.probabilities && Object.fromEntries(Object.entries(p.probabilities).slice(0, topN)),
            }));
      return {
        requestId: request.id,
        rows,
        predictions: attachEntityIds(rows, logged, modelSpec.idField),
        latencyMs: reply.elapsedTime,
        model: runtime.metadata,
      };
    });
    return predictions;
  };

  app.post<{ Body: Row[] }>('/api/predictions', {
    schema: {
      tags,
      deprecated: true,
      summary: "The template's predictions: use POST /predict (predictions[].label)",
      description:
        'Answers one `{"class_name": ...}` per row, in order (regression: the predicted value as a string). Replaced by `POST /predict`, which takes the same array and answers `predictions[].label`.',
      body,
      response: {
        200: { type: 'array', items: { type: 'object', properties: { class_name: { type: 'string' } }, required: ['class_name'] } },
        ...errors,
      },
    },
    validatorCompiler,
    handler: async (request, reply) => {
      const predictions = await predict(request, reply, topN);
      return predictions.map((p) => ({ class_name: p.label ?? String(p.value) }));
    },
  });

  if (modelSpec.task === 'classification')
    app.post<{ Body: Row[] }>('/api/proba_predictions', {
      schema: {
        tags,
        deprecated: true,
        summary: "The template's class probabilities: use POST /predict (predictions[].probabilities)",
        description:
          'Answers one `{"class_names": [...], "probabilities": [...]}` per row: every class, in the model\'s order. ' +
          'Replaced by `POST /predict`, which answers `predictions[].probabilities` (the top model.top_n classes, highest first).',
        body,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                class_names: { type: 'array', items: { type: 'string' } },
                probabilities: { type: 'array', items: { type: 'number' } },
              },
              required: ['class_names', 'probabilities'],
            },
          },
          ...errors,
        },
      },
      validatorCompiler,
      handler: async (request, reply) => {
        const predictions = await predict(request, reply, ALL_CLASSES);
        const classes = runtime.metadata.classes ?? [];
        return predictions.map((p) => ({
          class_names: classes,
          probabilities: classes.map((c) => (p.probabilities && Object.hasOwn(p.probabilities, c) ? p.probabilities[c]! : 0)),
        }));
      },
    });

  app.get('/ping', {
    schema: {
      tags,
      deprecated: true,
      summary: "The template's ping: use GET /health/live",
      response: { 200: { type: 'object', properties: { ping: { type: 'string' } }, required: ['ping'] } },
    },
    handler: async () => ({ ping: 'pong' }),
  });
};

export default legacyRoutes;
