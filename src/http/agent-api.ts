import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AGENT_API_PREFIX, type AckRequest, type OutputRequest, type PollRequest, type ResultRequest } from '../core/agent-protocol.js';
import type { Job } from '../core/job.js';
import type { JobService } from '../jobs/job-service.js';
import type { TokenService } from '../auth/token-service.js';
import { bearerToken } from './bearer.js';

const jobIdParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const lease = { type: 'string', minLength: 1, maxLength: 64 } as const;
const stateResponse = { type: 'object', properties: { id: { type: 'string' }, state: { type: 'string' } } } as const;

const pollSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      wait: { type: 'number', minimum: 0, maximum: 60 },
      max: { type: 'integer', minimum: 0, maximum: 100 },
      running: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 64 } },
      info: {
        type: 'object',
        additionalProperties: false,
        properties: {
          version: { type: 'string', maxLength: 64 },
          host: { type: 'string', maxLength: 255 },
          os: { type: 'string', maxLength: 255 },
          labels: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 255 }, propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$' } },
        },
      },
    },
  },
} as const;

const ackSchema = { params: jobIdParams, body: { type: 'object', required: ['lease'], additionalProperties: false, properties: { lease } }, response: { 200: stateResponse } } as const;
const outputSchema = {
  params: jobIdParams,
  body: { type: 'object', required: ['lease', 'seq', 'data'], additionalProperties: false, properties: { lease, seq: { type: 'integer', minimum: 0, maximum: 1_000_000 }, data: { type: 'string' } } },
} as const;
const resultSchema = {
  params: jobIdParams,
  body: {
    type: 'object',
    required: ['lease', 'exitCode', 'chunks'],
    additionalProperties: false,
    properties: { lease, exitCode: { type: 'integer', minimum: -1, maximum: 255 }, chunks: { type: 'integer', minimum: 0, maximum: 1_000_000 }, error: { type: 'string', maxLength: 2000 } },
  },
  response: { 200: stateResponse },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    agentName?: string;
  }
}

/**
 * The agent API: long-poll, ack, output, result. Every route is authenticated by the agent's
 * token and scoped to that agent's jobs.
 */
export function registerAgentApi(app: FastifyInstance, deps: { service: JobService; tokens: TokenService }): void {
  const { service, tokens } = deps;
  const state = (job: Job) => ({ id: job.id, state: job.state });

  void app.register(
    async (scope) => {
      scope.addHook('preHandler', async (req: FastifyRequest) => {
        const token = await tokens.verify(bearerToken(req), 'agent');
        req.agentName = token.subject;
      });

      scope.post<{ Body: PollRequest }>('/poll', { schema: pollSchema }, async (req, reply) => {
        // A client that hangs up stops the wait; jobs already handed out go back after the ack deadline.
        const abort = new AbortController();
        reply.raw.once('close', () => abort.abort());
        // The agent's name travels back so its own logs can carry it (the token does not say it).
        return { agent: req.agentName!, ...(await service.poll(req.agentName!, req.body ?? {}, abort.signal)) };
      });

      scope.post<{ Params: { id: string }; Body: AckRequest }>('/jobs/:id/ack', { schema: ackSchema }, async (req) => state(await service.ack(req.agentName!, req.params.id, req.body.lease)));

      scope.post<{ Params: { id: string }; Body: OutputRequest }>('/jobs/:id/output', { schema: outputSchema }, async (req) =>
        service.output(req.agentName!, req.params.id, req.body.lease, req.body.seq, req.body.data),
      );

      scope.post<{ Params: { id: string }; Body: ResultRequest }>('/jobs/:id/result', { schema: resultSchema }, async (req) => state(await service.result(req.agentName!, req.params.id, req.body)));
    },
    { prefix: AGENT_API_PREFIX },
  );
}
