import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SkadiError } from '../../src/core/index.js';
import type { LoginStatus } from './login-status.js';
import { renderStatusPage } from './status-page.js';

export interface StatusRoutesOptions {
  status: LoginStatus;
  /** Unlocks the login QR code; anyone may see the state without it. */
  token: string;
  refreshSeconds?: number;
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The token travels in the page's URL: it must not leak through a Referer header.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether the request carries the status token (`?token=` for the page link, or
 * `Authorization: Bearer`). A wrong token is refused outright rather than shown the public view,
 * so a typo in the link is noticed.
 */
function authorized(request: FastifyRequest, token: string): boolean {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const header = request.headers.authorization;
  const given = typeof query.token === 'string' ? query.token : header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
  if (given === null || given === '') return false;
  if (!timingSafeEqual(digest(given), digest(token))) throw new SkadiError('SKADI_UNAUTHENTICATED', 'wrong WeChat status token');
  return true;
}

const querySchema = { type: 'object', properties: { token: { type: 'string', maxLength: 256 } }, additionalProperties: false } as const;

/**
 * `GET /wechat/status` (JSON) and `GET /wechat` (a page the web UI can link to): the session's
 * state, account, recent login/logout/reconnect events and, with the token, the login QR code.
 */
export function wechatStatusRoutes(options: StatusRoutesOptions): FastifyPluginAsync {
  const refreshSeconds = options.refreshSeconds ?? 5;
  return async (app) => {
    app.get('/wechat/status', { schema: { querystring: querySchema } }, async (request, reply) => {
      const withSecrets = authorized(request, options.token);
      void reply.header('cache-control', 'no-store');
      return { ...options.status.snapshot(withSecrets), page: '/wechat' };
    });
    app.get('/wechat', { schema: { querystring: querySchema } }, async (request, reply) => {
      const withSecrets = authorized(request, options.token);
      const html = renderStatusPage(options.status.snapshot(withSecrets), { authorized: withSecrets, refreshSeconds });
      return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
    });
  };
}
