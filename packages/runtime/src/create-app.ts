import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Config } from './config.js';
import { registerErrorHandler } from './errors.js';
import { registerFeedbackMetrics } from './feedback/metrics.js';
import { FeedbackMonitor, type FeedbackListener } from './feedback/monitor.js';
import { httpServerOptions, registerRequestGuards } from './http-guards.js';
import { registerJsonBodyParser } from './json-body.js';
import { registerMetrics } from './metrics/plugin.js';
import { createMetrics, type ServiceMetrics } from './metrics/registry.js';
import { DriftMonitor, type DriftListener } from './monitoring/drift.js';
import { registerDriftMetrics } from './monitoring/drift-metrics.js';
import driftRoute from './monitoring/drift-route.js';
import type { ModelRuntime } from './model/runtime.js';
import type { PredictionListener, RequestErrorListener } from './prediction-event.js';
import { registerDocs } from './routes/docs.js';
import feedbackRoutes from './routes/feedback.js';
import healthRoutes from './routes/health.js';
import legacyRoutes from './routes/legacy.js';
import predictRoute from './routes/predict.js';
import oipRoutes from './routes/v2/index.js';
import { PredictBatcher } from './predict-batcher.js';
import type { FeatureModule } from './schemas/model-spec.js';
import { createBodyValidator, type BodyCheck } from './validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    runtime: ModelRuntime;
    /** The Prometheus registry and the service's metrics (src/metrics/); add yours with registers: [app.metrics.registry]. */
    metrics: ServiceMetrics;
    /** draining: set on SIGTERM (server.ts): not ready, and every answer says Connection: close. */
    lifecycle: { draining: boolean };
    /** The service's generated features module (src/schemas/features.ts). */
    features: FeatureModule;
    /** The one row check of every predicting route: a body (row or array of rows) -> its rows with defaults, or a 400. */
    checkRows: (body: unknown) => BodyCheck;
    /** The one batcher of every predicting route (see predict-batcher.ts). */
    batcher: PredictBatcher;
  }
}

export interface AppOptions {
  config: Config;
  runtime: ModelRuntime;
  /** A pino logger to use; false for a silent one; default: a pino logger at config logging.level. */
  logger?: FastifyBaseLogger | false;
  /** The prediction log seam: called after each answered /predict request (see prediction-event.ts). */
  onPrediction?: PredictionListener;
  /** Called for each request answered with status >= 400 by the error or not-found handler. */
  onRequestError?: RequestErrorListener;
  /** The metrics (src/metrics/registry.ts); default: createMetrics(config). GET /metrics exposes its registry. */
  metrics?: ServiceMetrics;
  /** Called once per drift threshold crossing (server.ts: the prediction log's `<tag_prefix>.drift` record); default: a stdout warning. */
  onDrift?: DriftListener;
  /** Called once per valid POST /feedback, matched or not (server.ts: the prediction log's `<tag_prefix>.feedback` record). */
  onFeedback?: FeedbackListener;
}

/** A caller's x-request-id is used when printable ASCII of at most 128 characters; otherwise one is generated. */
const REQUEST_ID = /^[\x21-\x7e][\x20-\x7e]{0,127}$/;

function requestId(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * A service's fastify instance with every plugin and route of the runtime: the service's src/app.ts
 * calls it with its features, then adds its own hooks, plugins and routes. Call `ready()` or `listen()` on it.
 */
export function createApp(
  features: FeatureModule,
  { config, runtime, logger, onPrediction, onRequestError, onDrift, onFeedback, metrics = createMetrics(config) }: AppOptions,
): FastifyInstance {
  const { modelSpec } = features;
  const app = Fastify({
    // `false` is a silent logger rather than none: fastify times requests (reply.elapsedTime,
    // the latency of the prediction log) only when it has a logger.
    ...(logger === undefined
      ? { logger: { level: config.logging.level, redact: REDACTED_PATHS } }
      : { loggerInstance: logger || pino({ level: 'silent' }) }),
    bodyLimit: config.service.body_limit_bytes,
    ...httpServerOptions(config.service),
    // requestIdHeader would take the header as it is; genReqId checks it first.
    requestIdHeader: false,
    genReqId: requestId,
    // GET /v2/ is the Open Inference Protocol's own server-metadata path; every route answers with and without the slash.
    routerOptions: { ignoreTrailingSlash: true },
    // fastify's two log lines per request are left out on the hot path: requests are logged at
    // debug level only (see below); refused and failed requests are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.decorate('config', config);
  app.decorate('runtime', runtime);
  app.decorate('metrics', metrics);
  app.decorate('features', features);
  app.decorate('checkRows', createBodyValidator(modelSpec, features.rowJsonSchema, config.service.max_batch_size));
  app.decorate('batcher', new PredictBatcher(runtime, config.service.max_batch_size, metrics));
  metrics.trackModel(() => (runtime.ready ? runtime.metadata : null));

  // A "__proto__" key is refused unless a feature has that name: then it is kept as an own
  // property (JSON.parse makes it one); safe because no code merges request objects into others.
  const protoIsFeature = modelSpec.features.some((f) => f.name === '__proto__') || modelSpec.idField === '__proto__';
  registerJsonBodyParser(app, {
    protoAction: protoIsFeature ? 'ignore' : 'error',
    maxDepth: config.service.max_depth,
    maxKeys: config.service.max_keys,
  });
  registerRequestGuards(app);
  registerErrorHandler(app, { bodyLimitBytes: config.service.body_limit_bytes, onRequestError });
  const lifecycle = { draining: false };
  app.decorate('lifecycle', lifecycle);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Draining: each keep-alive client moves to another replica after its current request.
    if (lifecycle.draining) reply.header('connection', 'close');
    done();
  });
  if (app.log.level === 'debug' || app.log.level === 'trace')
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request answered');
    });

  // Drift monitoring (src/monitoring/): every predicted row also enters the drift window.
  const drift = new DriftMonitor({ config: config.monitoring.drift, spec: modelSpec, runtime, logger: app.log, onDrift });
  app.decorate('drift', drift);
  registerDriftMetrics(metrics.registry, drift);
  onPrediction = drift.listener(onPrediction);
  // Ground-truth feedback (src/feedback/): every predicted row is kept (bounded) for the join with POST /feedback.
  const feedback = new FeedbackMonitor({
    spec: modelSpec,
    maxPredictions: config.monitoring.feedback.max_predictions,
    window: config.monitoring.feedback.window,
    service: { name: config.service.name, version: config.service.version },
  });
  if (onFeedback) feedback.onFeedback(onFeedback);
  app.decorate('feedback', feedback);
  registerFeedbackMetrics(metrics.registry, feedback);
  onPrediction = feedback.listener(onPrediction);

  registerDocs(app);
  registerMetrics(app);
  app.register(driftRoute, { monitor: drift });
  app.register(feedbackRoutes, { monitor: feedback });
  app.register(healthRoutes);
  app.register(predictRoute, { onPrediction });
  app.register(oipRoutes, { onPrediction });
  app.register(legacyRoutes, { onPrediction });
  return app;
}
