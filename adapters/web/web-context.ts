import type { FastifyRequest } from 'fastify';
import { SkadiError, type Clock, type JobsApi, type Logger, type MessageSink } from '../../src/core/index.js';
import type { ConversationFanout } from './conversation-fanout.js';
import type { ConversationHub } from './conversation-hub.js';
import type { JobOutputFeed } from './job-output-feed.js';
import type { LiveFeed } from './live-feed.js';
import { readCookie, SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';
import type { StreamRegistry } from './stream-registry.js';

/** Everything the web routes share; built once per adapter by createWebAdapter. */
export interface WebContext {
  sessions: SessionStore;
  hub: ConversationHub;
  /** Publishes to the hub here and in the other server processes. */
  fanout: ConversationFanout;
  live: LiveFeed;
  /** The job pages' output streams. */
  outputs: JobOutputFeed;
  streams: StreamRegistry;
  jobs: JobsApi;
  clock: Clock;
  logger: Logger;
  /** The dispatcher's sink while the adapter runs, null before start and after stop. */
  sink(): MessageSink | null;
  settings: {
    maxTextLength: number;
    sessionTtlMs: number;
    secureCookie: boolean;
    retryMs: number;
  };
}

/** The caller's session, or SKADI_UNAUTHENTICATED. */
export function requireSession(ctx: WebContext, request: FastifyRequest): Session {
  const session = ctx.sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE));
  if (!session) throw new SkadiError('SKADI_UNAUTHENTICATED', 'not logged in (or the session expired)');
  return session;
}
