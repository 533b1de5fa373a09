import type { FastifyInstance } from 'fastify';
import { looksLikeSelector, NotFoundError, parseSelector, selectorMatches, SkadiError, type Job, type JobListFilter, type JobState } from '../../src/core/index.js';
import { jobEventsSchema, jobSchema, jobsSchema } from './schemas.js';
import { SseStream } from './sse-stream.js';
import { toJobDetail, toJobSummary } from './summaries.js';
import { requireSession, type WebContext } from './web-context.js';

/** A selector in the job list's agent filter may match at most this many agents (one query each). */
const MAX_SELECTED_AGENTS = 50;

interface JobsQuery {
  limit: number;
  state?: string;
  agent?: string;
  requester?: string;
  before?: string;
  parent?: string;
}

/** The dashboard's job list (with filters and paging), a job's page, and its output stream. */
export async function registerJobRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/web/api/jobs', { schema: jobsSchema }, async (request) => {
    requireSession(ctx, request);
    const query = request.query as JobsQuery;
    const jobs = await listJobs(ctx, query);
    // A full page may have more behind it: the next page starts before its oldest job.
    const next = jobs.length === query.limit ? jobs[jobs.length - 1]!.createdAt.toISOString() : null;
    return { jobs: jobs.map(toJobSummary), next };
  });

  app.get('/web/api/jobs/:id', { schema: jobSchema }, async (request) => {
    requireSession(ctx, request);
    const job = await findJob(ctx, (request.params as { id: string }).id);
    return { job: toJobDetail(job), output: job.output ?? (await ctx.jobs.readOutput(job.id)) };
  });

  app.get('/web/api/jobs/:id/events', { schema: jobEventsSchema, exposeHeadRoute: false }, async (request, reply) => {
    const session = requireSession(ctx, request);
    // Before the stream opens, so an unknown job is a plain 404.
    const job = await findJob(ctx, (request.params as { id: string }).id);
    ctx.streams.checkCapacity(session.user);
    const stream = SseStream.open(reply, ctx.settings.retryMs);
    ctx.streams.add(stream, session.id, session.user);
    await ctx.outputs.attach(stream, job.id);
  });
}

async function findJob(ctx: WebContext, id: string): Promise<Job> {
  const job = await ctx.jobs.get(id);
  if (!job) throw new NotFoundError('SKADI_JOB_NOT_FOUND', `no job ${id}`);
  return job;
}

/** Newest first. The agent filter takes a name or a selector (role=web, web-*): one query per matching agent, merged. */
async function listJobs(ctx: WebContext, query: JobsQuery): Promise<Job[]> {
  const filter: JobListFilter = { limit: query.limit };
  if (query.state) filter.states = [...new Set(query.state.split(','))] as JobState[];
  if (query.requester) filter.requester = query.requester;
  if (query.parent) filter.parentId = query.parent;
  if (query.before) {
    const before = new Date(query.before);
    if (Number.isNaN(before.getTime())) throw new SkadiError('SKADI_BAD_REQUEST', `before: expected an ISO time, got ${JSON.stringify(query.before)}`);
    filter.before = before;
  }
  const agent = query.agent?.trim();
  if (!agent) return ctx.jobs.list(filter);
  if (!looksLikeSelector(agent)) return ctx.jobs.list({ ...filter, agent });
  const selector = parseSelector(agent);
  const names = (await ctx.jobs.listAgents()).filter((a) => selectorMatches(selector, a)).map((a) => a.name);
  if (names.length > MAX_SELECTED_AGENTS) {
    throw new SkadiError('SKADI_BAD_REQUEST', `the selector ${JSON.stringify(agent)} matches ${names.length} agents; the job list filters by at most ${MAX_SELECTED_AGENTS}, so narrow it`);
  }
  const lists = await Promise.all(names.map((name) => ctx.jobs.list({ ...filter, agent: name })));
  return lists
    .flat()
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id))
    .slice(0, query.limit);
}
