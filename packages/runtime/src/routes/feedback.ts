import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import type { FeedbackMonitor } from '../feedback/monitor.js';
import type { FeedbackInput } from '../feedback/record.js';
import { createFeedbackValidator, feedbackBodySchema, truthField } from '../feedback/validate.js';
import { errorResponse } from '../schemas/api.js';
import type { ModelSpec } from '../schemas/model-spec.js';

export interface FeedbackRouteOptions {
  monitor: FeedbackMonitor;
}

const nullable = (type: string | string[]) => ({ type: [type, 'null'].flat() });

const rollingSchema = (modelSpec: ModelSpec) =>
  ({
    type: 'object',
    description: 'Rolling model performance over the last `window` matched feedbacks (null before the first)',
    properties: {
      window: { type: 'integer' },
      count: { type: 'integer', description: 'Matched feedbacks in the window now' },
      ...(modelSpec.task === 'classification'
        ? { accuracy: { ...nullable('number'), description: 'Share of correct predictions, 0..1' } }
        : { mae: { ...nullable('number'), description: 'Mean absolute error, in the unit of the target' } }),
    },
  }) as const;

const matchedResponse = (modelSpec: ModelSpec) =>
  ({
    type: 'object',
    description: 'The prediction the truth answers, and how it did',
    properties: {
      matched: { type: 'boolean' },
      matched_by: { type: 'string', enum: ['request_id', 'entity_id'] },
      request_id: { type: 'string' },
      row: { type: 'integer' },
      entity_id: nullable('string'),
      model_uuid: { type: 'string', description: 'UUID of the model that made the prediction' },
      ...(modelSpec.task === 'classification'
        ? { predicted: nullable('string'), correct: { type: 'boolean' } }
        : { predicted: nullable('number'), abs_error: { type: 'number' } }),
      counted: { type: 'boolean', description: 'false when this prediction already had a feedback: the rolling figures count it once' },
      rolling: rollingSchema(modelSpec),
    },
  }) as const;

const statsResponse = (modelSpec: ModelSpec) =>
  ({
    type: 'object',
    properties: {
      task: { type: 'string' },
      rolling: rollingSchema(modelSpec),
      received: { type: 'object', properties: { matched: { type: 'integer' }, unmatched: { type: 'integer' } } },
      predictions_held: { type: 'integer', description: 'Predicted rows held in memory for the join' },
      max_predictions: { type: 'integer', description: 'monitoring.feedback.max_predictions' },
    },
  }) as const;

/** POST /feedback (the true label or value of an earlier prediction) and GET /feedback/stats. */
const feedbackRoutes: FastifyPluginAsync<FeedbackRouteOptions> = async (app, opts) => {
  const { runtime, config } = app;
  const { modelSpec } = app.features;
  const { monitor } = opts;
  const maxBatchSize = config.service.max_batch_size;
  const truth = truthField(modelSpec);
  const checkBody = createFeedbackValidator(modelSpec, maxBatchSize, () => (runtime.ready ? runtime.metadata.classes : null));

  app.post<{ Body: FeedbackInput }>('/feedback', {
    schema: {
      tags: ['feedback'],
      summary: `Send the true ${truth} of an earlier prediction`,
      description:
        `Ground truth for a prediction made in the last ${config.monitoring.feedback.max_predictions} predicted rows (monitoring.feedback.max_predictions): ` +
        'found by `request_id` (the `request_id` of the /predict answer; `row` for a row of a batch, default 0)' +
        (modelSpec.idField
          ? ` or by \`entity_id\` (the ${JSON.stringify(modelSpec.idField)} of the row: the latest prediction of that entity)`
          : '') +
        '. Every feedback is logged (Fluentd tag `<tag_prefix>.feedback`); a matched one updates the rolling ' +
        (modelSpec.task === 'classification' ? 'accuracy' : 'mean absolute error') +
        ` over the last ${config.monitoring.feedback.window} matched feedbacks (monitoring.feedback.window). ` +
        'An unknown ID answers 404 and is still logged, unmatched, for a later join in Elasticsearch.',
      body: feedbackBodySchema(modelSpec, maxBatchSize),
      response: {
        200: matchedResponse(modelSpec),
        400: { ...errorResponse, description: 'Malformed JSON, or a body that does not match (see details)' },
        404: {
          ...errorResponse,
          description: 'No recent prediction with that request_id (and row) or entity_id; the feedback was logged unmatched',
        },
        413: { ...errorResponse, description: 'Body over service.body_limit_bytes' },
        415: { ...errorResponse, description: 'Content type other than application/json' },
      },
    },
    validatorCompiler: ({ httpPart }) => {
      if (httpPart !== 'body') return () => true;
      return (body: unknown) => {
        const result = checkBody(body);
        return 'error' in result ? { error: result.error } : true;
      };
    },
    handler: async (request) => {
      const outcome = monitor.submit(request.body);
      if (!outcome.matched) throw new HttpError(404, outcome.reason);
      const { prediction: p, by, judgement, counted } = outcome;
      return {
        matched: true,
        matched_by: by,
        request_id: p.requestId,
        row: p.row,
        entity_id: p.entityId,
        model_uuid: p.model.uuid,
        predicted: modelSpec.task === 'classification' ? p.label : (p.value ?? null),
        ...judgement,
        counted,
        rolling: monitor.rolling.figures(),
      };
    },
  });

  app.get('/feedback/stats', {
    schema: {
      tags: ['feedback'],
      summary: 'Rolling model performance from feedback, and feedback counts',
      response: { 200: statsResponse(modelSpec) },
    },
    handler: async () => monitor.stats(),
  });
};

export default feedbackRoutes;
