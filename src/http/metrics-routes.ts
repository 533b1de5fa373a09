import type { FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from '../metrics/registry.js';

/**
 * `GET /metrics` in the Prometheus text format. Unauthenticated, like most exporters: it shows
 * counts, never job contents; keep it off the public side of the load balancer.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: { registry: MetricsRegistry }): void {
  app.get('/metrics', { exposeHeadRoute: false }, async (_req, reply) => {
    const text = await deps.registry.render();
    return reply.header('content-type', PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(text);
  });
}
