import type { FastifyPluginAsync } from 'fastify';
import { liveResponse, readyResponse } from '../schemas/api.js';
import { PROBE_ROUTE } from './probe.js';

/** Kubernetes probes: live while the process answers; ready once the model is loaded and warmed up. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  const { runtime, lifecycle } = app;

  app.get('/health/live', {
    schema: { tags: ['health'], summary: 'Liveness: 200 while the process runs', response: { 200: liveResponse } },
    handler: async () => ({ status: 'live' }),
  });

  app.get('/health/ready', {
    config: PROBE_ROUTE,
    schema: {
      tags: ['health'],
      summary: 'Readiness: 200 once the model is loaded and a warm-up inference ran; 503 before, and from SIGTERM on (draining)',
      response: { 200: readyResponse, 503: readyResponse },
    },
    handler: async (_request, reply) => {
      if (lifecycle.draining) return reply.code(503).send({ status: 'draining' });
      if (!runtime.ready) return reply.code(503).send({ status: 'loading' });
      const meta = runtime.metadata;
      return { status: 'ready', model: { name: meta.model_name, uuid: meta.model_uuid, created_at: meta.created_at } };
    },
  });
};

export default healthRoutes;
