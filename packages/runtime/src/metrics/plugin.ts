// GET /metrics and the request hooks that feed the HTTP metrics (src/metrics/registry.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

export const METRICS_PATH = '/metrics';

/** Per request: whether it is in the HTTP metrics (GET /metrics is not). */
const TRACKED = 'mlsMetricsTracked';
type Tracked = FastifyRequest & { [TRACKED]: boolean };

/**
 * Adds GET /metrics and the hooks that count requests, unless config metrics.enabled is false.
 * GET /metrics itself is left out of the HTTP metrics: a scrape every few seconds would otherwise
 * dominate the request counts, and Prometheus records each scrape's own health (up,
 * scrape_duration_seconds).
 */
export function registerMetrics(app: FastifyInstance): void {
  const { metrics } = app;
  if (!metrics.enabled) return;

  app.decorateRequest(TRACKED, false);
  // In flight from onRequest until the response's 'close': Node emits it exactly once per response,
  // when it is sent or when the connection ends first (client gone, timeout, a body shorter than its
  // Content-Length), also when fastify runs no further hook for the request.
  const ended = () => metrics.requestEnded();
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.routeOptions.url !== METRICS_PATH && !reply.raw.closed) {
      (request as Tracked)[TRACKED] = true;
      metrics.requestStarted();
      reply.raw.once('close', ended);
    }
    done();
  });
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if ((request as Tracked)[TRACKED])
      metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // A plugin, so that it loads after @fastify/swagger (registerDocs) and the route shows in /docs/json.
  app.register(async (instance) => {
    instance.get(METRICS_PATH, {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Request, model, Fluentd and process metrics for Prometheus to scrape; the list is in docs/METRICS.md.',
        response: {
          200: { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
      handler: async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    });
  });
}
