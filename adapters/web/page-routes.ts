import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../src/core/index.js';
import { pageSchema, staticSchema } from './schemas.js';
import { PAGE_SECURITY_HEADERS, type StaticFile } from './static-files.js';

/** The page (`GET /`) and its same-origin scripts and styles (`GET /web/static/<file>`). */
export async function registerPageRoutes(app: FastifyInstance, files: Map<string, StaticFile>): Promise<void> {
  const serve = (file: StaticFile, request: FastifyRequest, reply: FastifyReply) => {
    void reply.headers({ ...PAGE_SECURITY_HEADERS, etag: file.etag, 'cache-control': 'no-cache' });
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  const index = files.get('index.html');
  if (!index) throw new NotFoundError('SKADI_NOT_FOUND', 'web chat page index.html is missing');
  app.get('/', { schema: pageSchema }, async (request, reply) => serve(index, request, reply));

  app.get('/web/static/:file', { schema: staticSchema }, async (request, reply) => {
    const file = files.get((request.params as { file: string }).file);
    if (!file) throw new NotFoundError('SKADI_NOT_FOUND', 'no such file');
    return serve(file, request, reply);
  });
}
