// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// The service's fastify app: every plugin and route of @mlservice/runtime (/predict, OIP v2, /docs,
// health, /metrics, /feedback, /monitoring/drift, the prediction log seam), then yours. Add hooks
// (auth, CORS, rate limits), plugins and routes below; `npm test` builds the app through this function.
import { createApp, type AppOptions } from '@mlservice/runtime';
import type { FastifyInstance } from 'fastify';
import { service } from './service.js';

export function buildApp(options: AppOptions): FastifyInstance {
  const app = createApp(service.features, options);
  // For example:
  //   app.addHook('onRequest', async (request, reply) => { if (!authorised(request)) return reply.code(401).send({ error: 'unauthorised' }); });
  //   app.get('/version', async () => ({ version: app.config.service.version }));
  return app;
}
