import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SkadiError } from '../core/errors.js';
import { JOB_STATES, type JobState } from '../core/job.js';
import type { Clock } from '../core/clock.js';
import { parseSelector, selectorMatches } from '../core/selector.js';
import type { AuditStore } from '../core/stores.js';
import type { JobService } from '../jobs/job-service.js';
import type { TokenService } from '../auth/token-service.js';
import { bearerToken } from './bearer.js';
import { agentJson, jobJson } from './resource-json.js';

export interface UserApiDeps {
  service: JobService;
  tokens: TokenService;
  audit: AuditStore;
  clock: Clock;
  offlineAfterMs: number;
  /** Access control for API identities (`api:<name>`); throws SKADI_FORBIDDEN. */
  authorize: (identity: string, request: { agent?: string; command?: string }) => Promise<void>;
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
    required: ['agent', 'message'],
    additionalProperties: false,
    properties: {
      agent: { type: 'string', minLength: 1, maxLength: 63 },
      message: { type: 'string', minLength: 1, maxLength: 100_000 },
      timeoutSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86400 },
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

  void app.register(
    async (scope) => {
      scope.addHook('preHandler', async (req: FastifyRequest) => {
        const token = await tokens.verify(bearerToken(req), 'user');
        req.userIdentity = token.subject;
        req.userTokenId = token.id;
      });

      scope.post<{ Body: { agent: string; message: string; timeoutSeconds?: number }; Headers: { 'idempotency-key'?: string } }>('/jobs', { schema: createJobSchema }, async (req, reply) => {
        const identity = req.userIdentity!;
        await deps.authorize(identity, { agent: req.body.agent });
        const key = req.headers['idempotency-key'];
        const fingerprint = createHash('sha256').update(JSON.stringify([req.body.agent, req.body.message, req.body.timeoutSeconds ?? null])).digest('hex');
        const { job, created } = await service.submit({
          agent: req.body.agent,
          message: req.body.message,
          requester: { identity },
          thread: null,
          timeoutMs: req.body.timeoutSeconds ? req.body.timeoutSeconds * 1000 : undefined,
          idempotency: key ? { scope: req.userTokenId!, key, fingerprint } : undefined,
        });
        if (created) await deps.audit.append({ at: deps.clock.now(), actor: identity, action: 'job.create', target: job.id, decision: 'allow', detail: { agent: job.agent } });
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
          return jobJson(job);
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
        return jobJson(done);
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
