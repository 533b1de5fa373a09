import type { FastifyInstance } from 'fastify';
import { agentsSchema, jobsSchema, liveSchema } from './schemas.js';
import { SseStream } from './sse-stream.js';
import { toAgentSummary, toJobSummary } from './summaries.js';
import { requireSession, type WebContext } from './web-context.js';

/** The side panel's data: agent and job lists, and their live stream. */
export async function registerLiveRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/web/api/agents', { schema: agentsSchema }, async (request) => {
    requireSession(ctx, request);
    const agents = await ctx.jobs.listAgents();
    return { agents: agents.map(toAgentSummary).sort((a, b) => a.name.localeCompare(b.name)) };
  });

  app.get('/web/api/jobs', { schema: jobsSchema }, async (request) => {
    requireSession(ctx, request);
    const { limit } = request.query as { limit: number };
    const jobs = await ctx.jobs.list({ limit });
    return { jobs: jobs.map(toJobSummary) };
  });

  app.get('/web/api/live', { schema: liveSchema, exposeHeadRoute: false }, async (request, reply) => {
    const session = requireSession(ctx, request);
    ctx.streams.checkCapacity(session.user);
    const stream = SseStream.open(reply, ctx.settings.retryMs);
    ctx.streams.add(stream, session.id, session.user);
    await ctx.live.attach(stream);
  });
}
