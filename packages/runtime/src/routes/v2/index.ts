// Open Inference Protocol (KServe V2) REST beside /predict: health, server and model metadata, infer.
// Model name: config model.name. Model version: the UUID of the loaded bundle (metadata.json
// model_uuid), so a version names exactly one trained model; /versions/<other> answers 404.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../errors.js';
import { attachEntityIds, notifyPrediction, type PredictionListener } from '../../prediction-event.js';
import {
  exampleInferRequest,
  inferRequest,
  inferResponse,
  liveAnswer,
  modelMetadata,
  modelReadyAnswer,
  oipError,
  PLATFORM,
  readyAnswer,
  serverMetadata,
} from './schemas.js';
import { InferRequestError, describeRowProblems, metadataInputs, metadataOutputs, outputTensors, parseInferRequest } from './tensors.js';
import { PROBE_ROUTE } from '../probe.js';

export interface OipRouteOptions {
  /** The prediction log seam (see prediction-event.ts): infer answers are logged as predictions. */
  onPrediction?: PredictionListener;
}

interface ModelParams {
  name: string;
  version?: string;
}

/** The runtime clamps top-N to the number of classes: this asks for all of them ([N, C] probabilities). */
const ALL_CLASSES = Number.MAX_SAFE_INTEGER;

/** The first `n` entries of a class -> probability object, as own properties (a class may be named `__proto__`). */
function topOf(probabilities: Record<string, number>, n: number): Record<string, number> {
  const top: Record<string, number> = {};
  for (const [label, p] of Object.entries(probabilities).slice(0, Math.max(1, n)))
    Object.defineProperty(top, label, { value: p, enumerable: true, writable: true, configurable: true });
  return top;
}

const NOT_READY = 'the model is not loaded yet; retry when GET /v2/health/ready answers 200';

const oipRoutes: FastifyPluginAsync<OipRouteOptions> = async (app, opts) => {
  const { runtime, config, batcher, checkRows: checkBody } = app;
  const { modelSpec } = app.features;
  const modelName = config.model.name;
  const maxBatchSize = config.service.max_batch_size;
  // checkBody and batcher are /predict's: the same row check (ranges, categories, defaults) and the same model runs.
  const idField = modelSpec.idField;
  const inputs = metadataInputs(modelSpec);
  const topN = config.model.top_n;

  // The schemas here document the routes (OpenAPI); requests are checked in the handlers and
  // answers are written with JSON.stringify (feature names are data, in arrays).
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const tags = ['oip-v2'];
  const params = (withVersion: boolean) => ({
    type: 'object',
    properties: {
      name: { type: 'string', description: `The model name: ${JSON.stringify(modelName)} (config model.name)` },
      ...(withVersion
        ? { version: { type: 'string', description: 'The model version: the model UUID listed in the model metadata' } }
        : {}),
    },
    required: withVersion ? ['name', 'version'] : ['name'],
  });
  const errors = {
    404: { ...oipError, description: 'Unknown model name or version' },
    503: { ...oipError, description: 'The model is not loaded yet' },
  };

  /**
   * 404 unless the path names this model (and, when given, the loaded version). While the model is not
   * loaded: 503 when `ready` (the route needs it); else the caller answers (a ready probe: its 503 body).
   */
  const checkModel = ({ name, version }: ModelParams, { ready }: { ready: boolean }): void => {
    if (name !== modelName)
      throw new HttpError(404, `unknown model ${JSON.stringify(name)}; this server serves ${JSON.stringify(modelName)}`);
    if (!runtime.ready) {
      if (ready) throw new HttpError(503, NOT_READY);
      return;
    }
    const uuid = runtime.metadata.model_uuid;
    if (version !== undefined && version !== uuid)
      throw new HttpError(
        404,
        `unknown version ${JSON.stringify(version)} of model ${JSON.stringify(name)}; the loaded version is ${JSON.stringify(uuid)}`,
      );
  };

  app.get('/v2/health/live', {
    schema: { tags, summary: 'Server live: 200 while the process runs', response: { 200: liveAnswer } },
    handler: async () => ({ live: true }),
  });

  app.get('/v2/health/ready', {
    config: PROBE_ROUTE,
    schema: {
      tags,
      summary: 'Server ready: 200 once the model is loaded and warmed up, else 503',
      response: { 200: readyAnswer, 503: readyAnswer },
    },
    handler: async (_request, reply) =>
      runtime.ready && !app.lifecycle.draining ? { ready: true } : reply.code(503).send({ ready: false }),
  });

  app.get('/v2', {
    schema: { tags, summary: 'Server metadata', response: { 200: serverMetadata } },
    handler: async () => ({ name: config.service.name, version: config.service.version, extensions: [] as string[] }),
  });

  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    checkModel(request.params, { ready: true });
    const meta = runtime.metadata;
    return { name: modelName, versions: [meta.model_uuid], platform: PLATFORM, inputs, outputs: metadataOutputs(meta) };
  };
  const modelReady = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    checkModel(request.params, { ready: false });
    return runtime.ready ? { name: modelName, ready: true } : reply.code(503).send({ name: modelName, ready: false });
  };

  for (const withVersion of [false, true]) {
    const base = withVersion ? '/v2/models/:name/versions/:version' : '/v2/models/:name';
    app.get<{ Params: ModelParams }>(base, {
      schema: {
        tags,
        summary: 'Model metadata: inputs (one per feature) and outputs',
        params: params(withVersion),
        response: { 200: modelMetadata, ...errors },
      },
      handler: metadata,
    });
    app.get<{ Params: ModelParams }>(`${base}/ready`, {
      config: PROBE_ROUTE,
      schema: {
        tags,
        summary: 'Model ready: 200 once loaded, else 503',
        params: params(withVersion),
        response: { 200: modelReadyAnswer, 404: errors[404], 503: modelReadyAnswer },
      },
      handler: modelReady,
    });
    app.post<{ Params: ModelParams; Body: unknown }>(`${base}/infer`, {
      schema: {
        tags,
        summary: 'Infer: one input per feature, N rows',
        description:
          'The feature-per-input form of an Open Inference Protocol inference request. The rows are checked as POST /predict checks them; ' +
          'a problem is answered 400 with an error naming the input. Answers label (BYTES [N]) and probabilities (FP32 [N, classes], in the class order of the model) ' +
          'for classification, value (FP32 [N]) for regression.',
        params: params(withVersion),
        body: inferRequest(maxBatchSize, exampleInferRequest(modelSpec, app.features.exampleRow)),
        response: {
          200: inferResponse,
          400: { ...oipError, description: 'Malformed request, or an input that does not match the model (named in the error)' },
          ...errors,
        },
      },
      handler: async (request, reply) => {
        checkModel(request.params, { ready: true });
        const meta = runtime.metadata;
        const outputNames = metadataOutputs(meta).map((o) => o.name);
        let parsed;
        try {
          parsed = parseInferRequest(request.body, modelSpec, { maxBatchSize, outputNames });
        } catch (err) {
          if (err instanceof InferRequestError) throw new HttpError(400, err.message);
          throw err;
        }
        const checked = checkBody(parsed.rows);
        if ('error' in checked)
          throw new HttpError(400, describeRowProblems(checked.error.details ?? [], modelSpec) || checked.error.message);
        const { rows } = checked;
        const predictions = attachEntityIds(rows, await batcher.predict(rows, ALL_CLASSES), idField);
        // Logged as /predict logs them: the top model.top_n classes, highest first (the runtime's order).
        notifyPrediction(request, opts.onPrediction, () => ({
          requestId: request.id,
          rows,
          predictions: predictions.map((p) => (p.probabilities ? { ...p, probabilities: topOf(p.probabilities, topN) } : p)),
          latencyMs: reply.elapsedTime,
          model: meta,
        }));
        return {
          model_name: modelName,
          model_version: meta.model_uuid,
          ...(parsed.id === undefined ? {} : { id: parsed.id }),
          outputs: outputTensors(predictions, meta, parsed.outputs),
        };
      },
    });
  }
};

export default oipRoutes;
