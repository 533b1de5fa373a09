import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Logger } from '../../src/core/index.js';
import type { SlackHttpReceiver } from './http-receiver.js';
import { verifySlackSignature } from './verify-signature.js';

/** Where Slack posts: one URL serves events, interactivity and slash commands (the manifest uses the first). */
export const SLACK_PATHS = ['/slack/events', '/slack/interactions', '/slack/commands'] as const;

export interface SlackRoutesOptions {
  signingSecret: string;
  receiver: SlackHttpReceiver;
  clock: Clock;
  logger: Logger;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Events come as JSON; commands as form fields; interactivity as a form with one JSON `payload` field. */
export function parseSlackBody(raw: string, contentType: string | undefined): Record<string, unknown> | null {
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(raw);
      const payload = form.get('payload');
      const parsed: unknown = payload !== null ? JSON.parse(payload) : Object.fromEntries(form);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    }
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function refuse(reply: FastifyReply, status: 400 | 401 | 503, message: string): FastifyReply {
  const code = status === 401 ? 'SKADI_UNAUTHENTICATED' : status === 503 ? 'SKADI_UNAVAILABLE' : 'SKADI_BAD_REQUEST';
  return reply.code(status).send({ code, message });
}

/**
 * The Slack HTTP endpoints on Skadi's Fastify server. The plugin keeps request bodies as raw
 * bytes (its own content-type parser, scoped to this plugin: the rest of the server still parses
 * JSON), because the signature covers the exact bytes; only a verified request is parsed and
 * handed to Bolt.
 */
export function slackRoutes(options: SlackRoutesOptions): FastifyPluginAsync {
  const { receiver, logger } = options;
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const raw = bytes.toString('utf8');
      const contentType = header(req, 'content-type');
      // Slack's certificate check carries no signature and nothing to act on.
      if (contentType?.startsWith('application/x-www-form-urlencoded') && new URLSearchParams(raw).get('ssl_check') === '1') return reply.code(200).send();
      const verdict = verifySlackSignature({
        signingSecret: options.signingSecret,
        body: bytes,
        signature: header(req, 'x-slack-signature'),
        timestamp: header(req, 'x-slack-request-timestamp'),
        nowMs: options.clock.now().getTime(),
      });
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason, ip: req.ip }, 'refused a slack request that is not signed by Slack');
        return refuse(reply, 401, `not a verified Slack request: ${verdict.reason}`);
      }
      const body = parseSlackBody(raw, contentType);
      if (!body) return refuse(reply, 400, 'malformed Slack payload');
      if (body.type === 'url_verification') return reply.code(200).send({ challenge: body.challenge });
      if (!receiver.accepting) return refuse(reply, 503, 'the Slack adapter is not running; Slack will retry');
      const retryNum = Number(header(req, 'x-slack-retry-num'));
      const answer = await receiver.dispatch({ body, retryNum: Number.isInteger(retryNum) ? retryNum : undefined, retryReason: header(req, 'x-slack-retry-reason') });
      if (!answer.ok) return reply.code(500).send({ code: 'SKADI_UNAVAILABLE', message: 'the message could not be accepted now; Slack will retry' });
      if (answer.body === undefined || answer.body === null || answer.body === '') return reply.code(200).send();
      if (typeof answer.body === 'string') return reply.code(200).type('text/plain; charset=utf-8').send(answer.body);
      return reply.code(200).send(answer.body);
    };

    for (const path of SLACK_PATHS) app.post(path, handle);
  };
}
