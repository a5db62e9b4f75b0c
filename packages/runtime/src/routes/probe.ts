// Readiness probes (GET /health/ready, the Open Inference Protocol's ready routes): their 503 while
// the model loads or the service drains is the state the probe asks about, not a failed request.
// The kubelet polls them on every start and every rollout: logged as request errors (level error,
// Fluentd <tag_prefix>.error), they would page whoever alerts on error records for a healthy deploy.
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A readiness probe: its 503 (loading, draining) writes no error record. */
    probe?: boolean;
  }
}

/** The route config of a readiness probe. */
export const PROBE_ROUTE = { probe: true } as const;

/** Whether the answer is a readiness probe's "not ready" (no error record), rather than a failed request. */
export function isNotReadyAnswer(request: FastifyRequest, statusCode: number): boolean {
  return statusCode === 503 && request.routeOptions.config.probe === true;
}
