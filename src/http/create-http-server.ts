import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ERROR_CODES, SkadiError, isSkadiError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface HttpServerOptions {
  bodyLimit: number;
  /** Logger for request errors (fastify's own per-request logging stays off: it is noise at poll rates). */
  logger: Logger;
}

/**
 * The Fastify instance every route plugin registers on. Errors of every kind leave as
 * `{code, message}` with the status of the code; nothing reaches the client as a stack trace.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    logger: false,
    // Long-polls are held up to 30 s; leave headroom before Node closes idle keep-alive sockets.
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  app.setErrorHandler((err: FastifyError | SkadiError | Error, req, reply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) options.logger.error({ err, url: req.url, method: req.method }, 'request failed');
    const retryAfterMs = body.details?.retryAfterMs;
    if (status === 429 && typeof retryAfterMs === 'number') void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    void reply.status(status).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'SKADI_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  return app;
}

/** Maps any error to the status and `{code, message}` body the API promises. */
export function toErrorResponse(err: unknown): { status: number; body: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  if (isSkadiError(err)) return { status: err.status, body: err.toJSON() };
  const e = err as FastifyError & { validation?: unknown; validationContext?: string };
  if (e.validation) return coded('SKADI_BAD_REQUEST', `${e.validationContext ?? 'request'} ${e.message.replace(/^(body|querystring|params|headers)\/?\s*/, '')}`.trim());
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return coded('SKADI_BODY_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return coded('SKADI_BAD_REQUEST', e.message);
  }
  if (e instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode === 400)) return coded('SKADI_BAD_REQUEST', `malformed request: ${e.message}`);
  if (typeof e.statusCode === 'number' && e.statusCode === 413) return coded('SKADI_BODY_TOO_LARGE', 'request body is too large');
  if (isUnavailable(e)) return coded('SKADI_UNAVAILABLE', 'a backing service is not reachable right now; retry shortly');
  return coded('SKADI_INTERNAL', 'internal error; the server log has the details');
}

function coded(code: ErrorCode, message: string) {
  return { status: ERROR_CODES[code].status, body: { code, message } };
}

function isUnavailable(e: { code?: string; message?: string }): boolean {
  return ['ECONNREFUSED', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY'].includes(e.code ?? '') || /connection is closed|Connection lost|ECONNREFUSED/i.test(e.message ?? '');
}
