import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SkadiError, isSkadiError, type Logger } from '../../src/core/index.js';

/**
 * Maps any error of the web routes to `{code, message}` with the status of its code: schema
 * and body-parsing failures become SKADI_BAD_REQUEST (never a 500), an over-large body
 * SKADI_BODY_TOO_LARGE, anything unexpected SKADI_INTERNAL with the details only in the log.
 */
export function toSkadiError(err: FastifyError | Error): SkadiError {
  if (isSkadiError(err)) return err;
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new SkadiError('SKADI_BODY_TOO_LARGE', 'request body is too large');
  if (fe.validation) return new SkadiError('SKADI_BAD_REQUEST', fe.message);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return new SkadiError('SKADI_BAD_REQUEST', fe.message);
  return new SkadiError('SKADI_INTERNAL', 'internal error');
}

/** A fastify error handler for the web plugin's routes. */
export function webErrorHandler(logger: Logger) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const mapped = toSkadiError(err);
    if (mapped.code === 'SKADI_INTERNAL') logger.error({ err, url: request.url }, 'web chat: unexpected error');
    const retryAfterMs = mapped.details?.retryAfterMs;
    if (typeof retryAfterMs === 'number') void reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    void reply.code(mapped.status).type('application/json; charset=utf-8').send({ code: mapped.code, message: mapped.message });
  };
}
