import type { FastifyInstance } from 'fastify';
import { parseSelector, selectorMatches } from '../../src/core/index.js';
import { agentsSchema, liveSchema } from './schemas.js';
import { SseStream } from './sse-stream.js';
import { requireSession, type WebContext } from './web-context.js';

/** The fleet: the agent list (optionally by selector) and the live stream of agents, jobs and charts. */
export async function registerLiveRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/web/api/agents', { schema: agentsSchema }, async (request) => {
    requireSession(ctx, request);
    const { selector } = request.query as { selector?: string };
    // Parsed first: a bad selector is a 400 with its position and a hint, whatever the fleet holds.
    const parsed = selector === undefined ? null : parseSelector(selector);
    const agents = await ctx.live.agentSummaries();
    return { agents: parsed ? agents.filter((a) => selectorMatches(parsed, a)) : agents };
  });

  app.get('/web/api/live', { schema: liveSchema, exposeHeadRoute: false }, async (request, reply) => {
    const session = requireSession(ctx, request);
    ctx.streams.checkCapacity(session.user);
    const stream = SseStream.open(reply, ctx.settings.retryMs);
    ctx.streams.add(stream, session.id, session.user);
    await ctx.live.attach(stream);
  });
}
