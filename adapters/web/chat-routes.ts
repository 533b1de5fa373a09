import type { FastifyInstance } from 'fastify';
import { SkadiError } from '../../src/core/index.js';
import { conversationKey, normalizeWebMessage, type WebPostedMessage } from './normalize.js';
import { eventsSchema, loginSchema, logoutSchema, postMessageSchema, sessionSchema } from './schemas.js';
import { readCookie, SESSION_COOKIE, sessionCookie } from './sessions.js';
import { SseStream } from './sse-stream.js';
import { requireSession, type WebContext } from './web-context.js';
import type { WebChatMessage } from './wire-types.js';

/** Bodies are a few KiB at most; the text limit is checked by the schema. */
const MESSAGE_BODY_LIMIT = 64 * 1024;

/** Login, logout, posting messages and the chat event stream. */
export async function registerChatRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { sessions, settings } = ctx;

  app.post('/web/api/login', { schema: loginSchema, bodyLimit: 4096 }, async (request, reply) => {
    const { user, token } = request.body as { user: string; token: string };
    const wait = sessions.retryAfterMs(user);
    if (wait > 0) throw new SkadiError('SKADI_RATE_LIMITED', 'too many failed logins; try again later', { retryAfterMs: wait });
    const ok = sessions.verify(user, token);
    sessions.noteLogin(user, ok);
    if (!ok) {
      ctx.logger.warn({ user, ip: request.ip }, 'web chat: failed login');
      throw new SkadiError('SKADI_UNAUTHENTICATED', 'unknown user or wrong token');
    }
    const session = sessions.create(user);
    ctx.logger.info({ user }, 'web chat: login');
    void reply.header('set-cookie', sessionCookie(session.id, settings.sessionTtlMs / 1000, settings.secureCookie));
    return { user, expiresAt: session.expiresAt.toISOString() };
  });

  app.post('/web/api/logout', { schema: logoutSchema, bodyLimit: 1024 }, async (request, reply) => {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (id) {
      sessions.delete(id);
      ctx.streams.closeSession(id);
    }
    void reply.header('set-cookie', sessionCookie('', 0, settings.secureCookie));
    return reply.code(204).send();
  });

  app.get('/web/api/session', { schema: sessionSchema }, async (request) => {
    const session = requireSession(ctx, request);
    return { user: session.user, expiresAt: session.expiresAt.toISOString() };
  });

  app.post('/web/api/messages', { schema: postMessageSchema(settings.maxTextLength), bodyLimit: MESSAGE_BODY_LIMIT }, async (request, reply) => {
    const session = requireSession(ctx, request);
    const sink = ctx.sink();
    if (!sink) throw new SkadiError('SKADI_UNAVAILABLE', 'the web chat is not running; try again shortly');
    const body = request.body as WebPostedMessage;
    const inbound = normalizeWebMessage(body, session.user, ctx.clock.now());
    const key = inbound.thread.conversationId;
    const threadId = inbound.thread.threadId!;
    // Shown to the user's other tabs (on any server process, and on reload) before the bot answers, once per client id.
    const duplicate = ctx.hub.find(key, body.clientMessageId) !== undefined;
    if (!duplicate) {
      const echo: WebChatMessage = {
        id: body.clientMessageId,
        conversationId: body.conversationId,
        threadId,
        author: { kind: 'user', name: session.user },
        text: body.text,
        at: inbound.receivedAt.toISOString(),
      };
      await ctx.fanout.publish(key, echo);
    }
    // Called for retries too: the dispatcher's de-duplication is the one that spans processes.
    await sink(inbound);
    return reply.code(202).send({ accepted: true, threadId, duplicate });
  });

  app.get('/web/api/events', { schema: eventsSchema, exposeHeadRoute: false }, async (request, reply) => {
    const session = requireSession(ctx, request);
    ctx.streams.checkCapacity(session.user);
    const query = request.query as { conversationId: string; lastEventId?: string };
    const header = request.headers['last-event-id'];
    const lastEventId = (typeof header === 'string' ? header : undefined) ?? query.lastEventId ?? null;
    const key = conversationKey(session.user, query.conversationId);
    const stream = SseStream.open(reply, settings.retryMs);
    ctx.streams.add(stream, session.id, session.user);
    // Replay and subscribe in one synchronous step, so no event can fall between them.
    for (const event of ctx.hub.replay(key, lastEventId)) stream.send(event.event, event.json, event.id);
    stream.onClose(ctx.hub.subscribe(key, (event) => stream.send(event.event, event.json, event.id)));
    stream.send('ready', JSON.stringify({ conversationId: query.conversationId, user: session.user }));
  });
}
