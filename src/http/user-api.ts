import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SkadiError, isSkadiError } from '../core/errors.js';
import { JOB_STATES, type JobState } from '../core/job.js';
import type { Clock } from '../core/clock.js';
import { parseSelector, selectorMatches } from '../core/selector.js';
import type { AuditStore } from '../core/stores.js';
import { isFanOutParent, type FanOutApi, type FanOutJob } from '../core/fan-out.js';
import type { Job } from '../core/job.js';
import type { JobService } from '../jobs/job-service.js';
import type { TokenService } from '../auth/token-service.js';
import { bearerToken } from './bearer.js';
import { agentJson, fanOutJson, jobJson } from './resource-json.js';

export interface UserApiDeps {
  service: JobService;
  tokens: TokenService;
  audit: AuditStore;
  clock: Clock;
  offlineAfterMs: number;
  /** Access control for API identities (`api:<name>`); throws SKADI_FORBIDDEN. */
  /** `labels`: the agent's, when at hand (spares the access check looking them up). */
  authorize: (identity: string, request: { agent?: string; labels?: Readonly<Record<string, string>>; command?: string }) => Promise<void>;
  /** Fan-out (`selector` instead of `agent`); without it a selector is refused. */
  fanOut?: FanOutApi;
}

interface CreateJobBody {
  agent?: string;
  selector?: string;
  message: string;
  timeoutSeconds?: number;
  concurrency?: number;
  maxFailures?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    userIdentity?: string;
    userTokenId?: string;
  }
}

const createJobSchema = {
  headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
  body: {
    type: 'object',
    required: ['message'],
    additionalProperties: false,
    properties: {
      agent: { type: 'string', minLength: 1, maxLength: 63 },
      selector: { type: 'string', minLength: 1, maxLength: 1000 },
      message: { type: 'string', minLength: 1, maxLength: 100_000 },
      timeoutSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86400 },
      concurrency: { type: 'integer', minimum: 1, maximum: 100_000 },
      maxFailures: { type: 'integer', minimum: 0, maximum: 100_000 },
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

const listSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      agent: { type: 'string', maxLength: 63 },
      state: { type: 'string', enum: [...JOB_STATES] },
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
      before: { type: 'string', format: 'date-time' },
    },
  },
} as const;

/** The user API for CI/CD and scripts, authenticated by user API tokens. */
export function registerUserApi(app: FastifyInstance, deps: UserApiDeps): void {
  const { service, tokens } = deps;

  /** POST /jobs with a selector: a fan-out parent, or an error saying why nothing could run. */
  async function submitFanOut(identity: string, tokenId: string, body: CreateJobBody & { selector: string }, key: string | undefined): Promise<{ job: FanOutJob; created: boolean }> {
    if (!deps.fanOut) throw new SkadiError('SKADI_BAD_REQUEST', 'fan-out (selector) is not available on this server');
    const concurrency = body.concurrency ?? deps.fanOut.defaults.concurrency;
    const maxFailures = body.maxFailures ?? deps.fanOut.defaults.maxFailures;
    const fingerprint = createHash('sha256').update(JSON.stringify(['fanout', body.selector, body.message, body.timeoutSeconds ?? null, concurrency, maxFailures])).digest('hex');
    const result = await deps.fanOut.submit({
      selector: body.selector,
      message: body.message,
      requester: { identity },
      thread: null,
      concurrency,
      maxFailures,
      timeoutMs: body.timeoutSeconds ? body.timeoutSeconds * 1000 : undefined,
      idempotency: key ? { scope: tokenId, key, fingerprint } : undefined,
      // Access per agent; a refused one is listed as not allowed, the decision audited.
      authorize: async (agent) => {
        try {
          await deps.authorize(identity, { agent: agent.name, labels: agent.labels });
          return { allowed: true, reason: '' };
        } catch (err) {
          if (isSkadiError(err) && err.code === 'SKADI_FORBIDDEN') return { allowed: false, reason: err.message };
          throw err;
        }
      },
    });
    if (result.kind === 'no-targets') {
      const details = { selector: body.selector, matched: result.matched, skipped: result.skipped.map((s) => ({ agent: s.agent, reason: s.why })) };
      if (result.matched === 0) throw new SkadiError('SKADI_AGENT_NOT_FOUND', `no agent matches ${body.selector}`, details);
      const offline = result.skipped.filter((s) => s.why === 'offline').map((s) => s.agent);
      if (offline.length) throw new SkadiError('SKADI_AGENT_OFFLINE', `no agent matching ${body.selector} can take the job: ${offline.join(', ')} offline${offline.length < result.skipped.length ? ', the others not allowed' : ''}; nothing was run`, details);
      throw new SkadiError('SKADI_FORBIDDEN', `you may not run jobs on any agent matching ${body.selector}; nothing was run`, details);
    }
    if (result.created) await deps.audit.append({ at: deps.clock.now(), actor: identity, action: 'job.create', target: result.job.id, decision: 'allow', detail: { selector: body.selector, targets: result.job.fanout.targets } });
    return { job: result.job, created: result.created };
  }

  void app.register(
    async (scope) => {
      scope.addHook('preHandler', async (req: FastifyRequest) => {
        const token = await tokens.verify(bearerToken(req), 'user');
        req.userIdentity = token.subject;
        req.userTokenId = token.id;
      });

      /** A job as GET answers it: a fan-out parent with its children. */
      async function resource(job: Job) {
        return isFanOutParent(job) && deps.fanOut ? fanOutJson(job, await deps.fanOut.children(job.id)) : jobJson(job);
      }

      scope.post<{ Body: CreateJobBody; Headers: { 'idempotency-key'?: string } }>('/jobs', { schema: createJobSchema }, async (req, reply) => {
        const identity = req.userIdentity!;
        if ((req.body.agent === undefined) === (req.body.selector === undefined)) throw new SkadiError('SKADI_BAD_REQUEST', 'give either agent (one agent by name) or selector (every matching agent), not both or neither');
        if (req.body.selector === undefined && (req.body.concurrency !== undefined || req.body.maxFailures !== undefined)) throw new SkadiError('SKADI_BAD_REQUEST', 'concurrency and maxFailures go with a selector');
        if (req.body.selector !== undefined) {
          const job = await submitFanOut(identity, req.userTokenId!, req.body as CreateJobBody & { selector: string }, req.headers['idempotency-key']);
          return reply.status(job.created ? 201 : 200).send(fanOutJson(job.job, await deps.fanOut!.children(job.job.id)));
        }
        const agentName = req.body.agent!;
        await deps.authorize(identity, { agent: agentName });
        const key = req.headers['idempotency-key'];
        const fingerprint = createHash('sha256').update(JSON.stringify([agentName, req.body.message, req.body.timeoutSeconds ?? null])).digest('hex');
        const { job, created } = await service.submit({
          agent: agentName,
          message: req.body.message,
          requester: { identity },
          thread: null,
          timeoutMs: req.body.timeoutSeconds ? req.body.timeoutSeconds * 1000 : undefined,
          idempotency: key ? { scope: req.userTokenId!, key, fingerprint } : undefined,
          // In the job's transaction: one commit per job, not two.
          audit: { actor: identity, action: 'job.create', decision: 'allow', detail: { agent: agentName } },
        });
        if (job.state === 'expired' && job.reason === 'agent-offline') {
          throw new SkadiError('SKADI_AGENT_OFFLINE', `agent ${job.agent} is offline; job ${job.id} expired at once`, { jobId: job.id });
        }
        return reply.status(created ? 201 : 200).send(jobJson(job));
      });

      scope.get<{ Params: { id: string }; Querystring: { wait?: number } }>(
        '/jobs/:id',
        { schema: { params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'number', minimum: 0, maximum: 300 } } } } },
        async (req) => {
          const job = req.query.wait ? await service.waitForFinal(req.params.id, req.query.wait * 1000) : await service.get(req.params.id);
          if (!job) throw new SkadiError('SKADI_JOB_NOT_FOUND', `no job ${req.params.id}`);
          return resource(job);
        },
      );

      scope.get<{ Querystring: { agent?: string; state?: JobState; limit: number; before?: string } }>('/jobs', { schema: listSchema }, async (req) => {
        const jobs = await service.list({ agent: req.query.agent, states: req.query.state ? [req.query.state] : undefined, limit: req.query.limit, before: req.query.before ? new Date(req.query.before) : undefined });
        return { jobs: jobs.map(jobJson) };
      });

      scope.post<{ Params: { id: string } }>('/jobs/:id/cancel', { schema: { params: idParams } }, async (req) => {
        const identity = req.userIdentity!;
        const job = await service.get(req.params.id);
        if (!job) throw new SkadiError('SKADI_JOB_NOT_FOUND', `no job ${req.params.id}`);
        await deps.authorize(identity, { agent: job.agent, command: 'cancel' });
        const done = await service.cancel(job.id, identity);
        await deps.audit.append({ at: deps.clock.now(), actor: identity, action: 'job.cancel', target: job.id, decision: 'allow', detail: null });
        return resource(done);
      });

      scope.get<{ Querystring: { selector?: string } }>(
        '/agents',
        { schema: { querystring: { type: 'object', additionalProperties: false, properties: { selector: { type: 'string', maxLength: 1000 } } } } },
        async (req) => {
          // A selector that does not parse is a SelectorError: 400 SKADI_BAD_REQUEST with details.position and details.hint.
          const selector = req.query.selector ? parseSelector(req.query.selector) : null;
          const now = deps.clock.now();
          const agents = (await service.listAgents()).filter((a) => selector === null || selectorMatches(selector, a));
          return { agents: agents.map((a) => agentJson(a, now, deps.offlineAfterMs)) };
        },
      );

      scope.get<{ Params: { name: string } }>('/agents/:name', { schema: { params: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } } } }, async (req) => {
        const agent = await service.getAgent(req.params.name);
        if (!agent) throw new SkadiError('SKADI_AGENT_NOT_FOUND', `no agent named ${req.params.name}`);
        return agentJson(agent, deps.clock.now(), deps.offlineAfterMs);
      });
    },
    { prefix: '/api/v1' },
  );
}
