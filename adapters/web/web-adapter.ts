import type { FastifyPluginAsync } from 'fastify';
import { ConfigError, type ChatAdapter, type Clock, type EventBus, type JobsApi, type Logger, type Notifier } from '../../src/core/index.js';
import { registerChatRoutes } from './chat-routes.js';
import { ConversationFanout } from './conversation-fanout.js';
import { ConversationHub } from './conversation-hub.js';
import { webErrorHandler } from './error-reply.js';
import { JobOutputFeed } from './job-output-feed.js';
import { registerJobRoutes } from './job-routes.js';
import { LiveFeed } from './live-feed.js';
import { WEB_PLATFORM, WEB_USER_PATTERN } from './normalize.js';
import { registerLiveRoutes } from './live-routes.js';
import { registerPageRoutes } from './page-routes.js';
import { SessionStore, type WebUserConfig } from './sessions.js';
import { findStaticDir, loadStaticFiles } from './static-files.js';
import { StreamRegistry } from './stream-registry.js';
import { WebChatAdapter } from './web-chat-adapter.js';
import type { WebContext } from './web-context.js';

export interface WebAdapterOptions {
  /** Who may log in: the config's `web.users` (token hashes, SHA-256 hex). */
  users: readonly WebUserConfig[];
  /** Longest text shown in one message (default 4000); longer text is attached as a file. Also the longest message a user may post. */
  maxTextLength?: number;
  /** Session lifetime (default 12 h). */
  sessionTtlMs?: number;
  /** Mark the session cookie Secure; set it when the page is served over https. */
  secureCookie?: boolean;
  /** Heartbeat comment on every event stream (default 15 s). */
  heartbeatMs?: number;
  /** Delay the browser waits before reconnecting a dropped stream (default 2 s). */
  retryMs?: number;
  /** How often the agent list is re-read while a browser watches (default 5 s). */
  agentPollMs?: number;
  /**
   * The server's offline threshold (`agents.offlineAfter`, default 3 min): an agent whose last
   * check-in is older shows offline, as in the user API, even before the server's timer marks it.
   */
  offlineAfterMs?: number;
  /** How often a job page's running job is re-read for new output (default 1 s). */
  outputPollMs?: number;
  /** Job rows read at most when the dashboard's charts start (default 5000). */
  statsSeedMax?: number;
  /** Jobs in the live panel (default 50). */
  jobsLimit?: number;
  /** Messages kept per conversation for replay (default 200). */
  historyPerConversation?: number;
  /** Bytes of messages kept across all conversations (default 32 MiB). */
  historyBytes?: number;
  /** Open event streams allowed in this process (default 1000) and per user (default 20). */
  maxStreams?: number;
  maxStreamsPerUser?: number;
  /** Name shown on the bot's messages (default `skadi`). */
  botName?: string;
  /** Folder of the page's files; found automatically from src or dist. */
  staticDir?: string;
}

export interface WebAdapterDeps {
  jobs: JobsApi;
  /** For live job status in the side panel; without it the job list is polled. */
  bus?: EventBus;
  /**
   * Shares chat messages with the other server processes (Redis pub/sub with several), so a
   * browser gets a reply whichever process sent it. Without it, replies reach this process's browsers only.
   */
  notifier?: Notifier;
  clock: Clock;
  logger: Logger;
}

export interface WebAdapter {
  adapter: ChatAdapter;
  /** Register without a prefix: the page lives at `/`, its API under `/web/api/`. */
  plugin: FastifyPluginAsync;
}

/**
 * The web chat: a ChatAdapter whose "platform" is Skadi's own page, and the fastify plugin that
 * serves the page (chat and dashboard), the login and the event streams. Chat messages reach every process's
 * browsers through the notifier (best effort, see ConversationFanout). Sessions live in this
 * process: behind a load balancer, route a browser to one process (sticky sessions).
 */
export function createWebAdapter(options: WebAdapterOptions, deps: WebAdapterDeps): WebAdapter {
  checkUsers(options.users);
  const logger = deps.logger.child({ adapter: WEB_PLATFORM });
  const maxTextLength = options.maxTextLength ?? 4000;
  const sessionTtlMs = options.sessionTtlMs ?? 12 * 3_600_000;
  const sessions = new SessionStore(options.users, deps.clock, { ttlMs: sessionTtlMs, maxSessions: 10_000 });
  const hub = new ConversationHub({ perConversation: options.historyPerConversation ?? 200, maxBytes: options.historyBytes ?? 32 * 1024 * 1024 });
  const streams = new StreamRegistry(sessions, {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: options.maxStreams ?? 1000,
    maxStreamsPerUser: options.maxStreamsPerUser ?? 20,
  });
  const live = new LiveFeed(
    { jobs: deps.jobs, bus: deps.bus, clock: deps.clock, logger },
    { pollMs: options.agentPollMs ?? 5000, jobsLimit: options.jobsLimit ?? 50, offlineAfterMs: options.offlineAfterMs ?? 3 * 60_000, statsSeedMax: options.statsSeedMax ?? 5000 },
  );
  const outputs = new JobOutputFeed({ jobs: deps.jobs, logger }, { pollMs: options.outputPollMs ?? 1000 });
  const botName = options.botName ?? 'skadi';
  const fanout = new ConversationFanout({ hub, notifier: deps.notifier, logger });
  const adapter = new WebChatAdapter({ maxTextLength, botName }, { hub, fanout, clock: deps.clock, closeStreams: () => streams.closeAll() });

  const ctx: WebContext = {
    sessions,
    hub,
    fanout,
    live,
    outputs,
    streams,
    jobs: deps.jobs,
    clock: deps.clock,
    logger,
    sink: () => adapter.sink,
    settings: { maxTextLength, sessionTtlMs, secureCookie: options.secureCookie ?? false, retryMs: options.retryMs ?? 2000 },
  };

  const files = loadStaticFiles(findStaticDir(options.staticDir));
  const plugin: FastifyPluginAsync = async (app) => {
    app.setErrorHandler(webErrorHandler(logger));
    // Open streams would keep fastify.close() waiting forever: end them first.
    app.addHook('preClose', async () => streams.closeAll());
    app.addHook('onClose', async () => {
      outputs.close();
      await live.close();
    });
    await registerPageRoutes(app, files);
    await registerChatRoutes(app, ctx);
    await registerLiveRoutes(app, ctx);
    await registerJobRoutes(app, ctx);
  };

  return { adapter, plugin };
}

function checkUsers(users: readonly WebUserConfig[]): void {
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (!new RegExp(WEB_USER_PATTERN).test(u.name)) throw new ConfigError(`web.users[${i}].name`, 'expected 1-64 characters of letters, digits, . _ @ -');
    if (!/^[0-9a-f]{64}$/.test(u.tokenHash)) throw new ConfigError(`web.users[${i}].tokenHash`, 'expected 64 hex digits (SHA-256 of the token)');
    if (seen.has(u.name)) throw new ConfigError(`web.users[${i}].name`, `${u.name} is listed twice`);
    seen.add(u.name);
  });
}
