// `npm start` (the service's src/server.ts): config -> runtime -> app -> listen, then load the model;
// SIGTERM/SIGINT -> drain, then close.
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { ServiceDefinition } from './contract.js';
import type { AppOptions } from './create-app.js';
import { createLogger } from './logging/logger.js';
import { PredictionLog } from './logging/prediction-log.js';
import { OnnxModelRuntime } from './model/onnx-runtime.js';

/** The service's app factory (its src/app.ts buildApp): the runtime's createApp plus the service's own parts. */
export type BuildApp = (options: AppOptions) => FastifyInstance;

/** Runs the service until SIGTERM/SIGINT; exits 1 when the config or the model cannot be loaded. */
export async function serve(definition: ServiceDefinition, buildApp: BuildApp): Promise<void> {
  const { modelSpec, exampleRow } = definition.features;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
  const runtime = new OnnxModelRuntime({
    dir: config.model.dir,
    topN: config.model.top_n,
    spec: modelSpec,
    exampleRow,
    Preprocessor: definition.Preprocessor,
  });
  // Prediction log (src/logging): stdout always, Fluentd when enabled; app.close() flushes it (onClose hook).
  const logger = createLogger(config);
  const predictionLog = new PredictionLog({ config, logger, spec: modelSpec, model: () => (runtime.ready ? runtime.metadata : null) });
  const app = buildApp({
    config,
    runtime,
    logger,
    onPrediction: predictionLog.onPrediction,
    onDrift: predictionLog.logDrift,
    onFeedback: predictionLog.logFeedback,
  });
  predictionLog.attach(app);
  app.metrics.trackForwarder(() => predictionLog.stats()); // Fluentd metrics, read at scrape time

  // SIGTERM (Kubernetes deletes the pod): not ready at once, so the endpoints drop this replica;
  // keep serving for service.shutdown_grace_ms (clients and proxies still send here until they
  // learn), each answer with Connection: close; then stop listening, finish the requests in
  // flight, flush the prediction log (app.close() runs its onClose hook) and exit 0.
  // A second signal ends the grace period at once.
  let closing = false;
  let endGrace = () => {};
  const shutdown = async (signal: string) => {
    if (closing) return endGrace();
    closing = true;
    app.lifecycle.draining = true;
    const graceMs = config.service.shutdown_grace_ms;
    app.log.info({ signal, grace_ms: graceMs }, 'draining: not ready; serving with Connection: close until the grace period ends');
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        endGrace = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      app.log.info('shutting down: no new connections; finishing open requests');
      await app.close();
      await runtime.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // Listen before loading, so /health/live answers (and /health/ready says 503) while the model loads.
  await app.listen({ host: config.service.host, port: config.service.port });
  try {
    const started = performance.now();
    await runtime.load();
    app.metrics.observeModelLoad((performance.now() - started) / 1000);
    const meta = runtime.metadata;
    app.log.info(
      { model: meta.model_name, uuid: meta.model_uuid, ms: Math.round(performance.now() - started) },
      'model loaded and warmed up: ready',
    );
  } catch (err) {
    app.log.fatal(`cannot load the model from ${config.model.dir}: ${(err as Error).message}`);
    await app.close().catch(() => undefined);
    process.exit(1);
  }
}
