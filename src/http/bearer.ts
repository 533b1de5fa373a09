import type { FastifyRequest } from 'fastify';
import { SkadiError } from '../core/errors.js';

/** The bearer token of a request, or SKADI_UNAUTHENTICATED. */
export function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (!header) throw new SkadiError('SKADI_UNAUTHENTICATED', 'missing Authorization: Bearer <token> header');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new SkadiError('SKADI_UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  return m[1]!;
}
