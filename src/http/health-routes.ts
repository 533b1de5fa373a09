import type { FastifyInstance } from 'fastify';

/** `/healthz`: the process answers. `/readyz`: the database and the bus answer too. */
export function registerHealthRoutes(app: FastifyInstance, deps: { checks: Record<string, () => Promise<void>> }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const results: Record<string, string> = {};
    let ok = true;
    await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await Promise.race([check(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
          results[name] = 'ok';
        } catch (err) {
          ok = false;
          results[name] = (err as Error).message || 'failed';
        }
      }),
    );
    return reply.status(ok ? 200 : 503).send(ok ? { status: 'ok', checks: results } : { code: 'SKADI_UNAVAILABLE', message: 'not ready', checks: results });
  });
}
