import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ChatAdapter } from './core/chat-adapter.js';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import type { EventBus, Notifier } from './core/event-bus.js';
import type { PlatformDeps } from './core/platform.js';
import type { OutboxEvent, Stores } from './core/stores.js';
import type { FanOutApi } from './core/fan-out.js';
import { AdapterError } from './core/errors.js';
import { randomId } from './core/ids.js';
import type { SkadiConfig } from './config/skadi-config.js';
import type { JobService } from './jobs/job-service.js';
import { BUILTIN_COMMANDS } from '../commands/index.js';
import { assertAgentNameAllowed } from './core/command.js';
import { authorize, createAccessControl, createCommandRegistry, createDispatcher, createReplyRouter, validateAccessConfig, type AccessConfig } from './chat/index.js';
import { createWebAdapter } from '../adapters/web/web-adapter.js';
import { ensureWebAdminToken } from './web-admin-token.js';

type PlatformFactory = (raw: unknown, deps: PlatformDeps) => Promise<{ adapter: ChatAdapter; plugin?: FastifyPluginAsync }>;

/**
 * The chat platforms besides the web chat, by config section. A section that is absent (null)
 * leaves the platform off in this process. Each platform's module (and with it its SDK: Bolt,
 * botbuilder, wechaty, imapflow, mailparser, nodemailer) is imported only when its section is
 * present: a server without them does not load them (tens of MB of RSS before any agent).
 */
const PLATFORMS: ReadonlyArray<[key: 'slack' | 'teams' | 'wechat' | 'email', create: PlatformFactory]> = [
  ['slack', async (raw, deps) => { const m = await import('../adapters/slack/slack-platform.js'); return m.createSlackPlatform(m.validateSlackConfig(raw), deps); }],
  ['teams', async (raw, deps) => { const m = await import('../adapters/teams/teams-platform.js'); return m.createTeamsPlatform(m.validateTeamsConfig(raw), deps); }],
  ['wechat', async (raw, deps) => { const m = await import('../adapters/wechat/wechat-platform.js'); return m.createWechatPlatform(m.validateWechatConfig(raw), deps); }],
  ['email', async (raw, deps) => { const m = await import('../adapters/email/email-platform.js'); return m.createEmailPlatform(m.validateEmailConfig(raw), deps); }],
];

export interface ChatWiring {
  /** Access control for user-API identities; throws SKADI_FORBIDDEN. */
  authorizeApi(identity: string, request: { agent?: string; labels?: Readonly<Record<string, string>>; command?: string }): Promise<void>;
  /** Throws SKADI_AGENT_NAME_INVALID when an agent name collides with a chat command. */
  checkAgentName(name: string): void;
  /** Adapters by platform, as started in this process. */
  adapters: ReadonlyMap<string, ChatAdapter>;
  /** Lines printed at start: where the web chat is and how to log in. */
  /** `revealToken`: include the generated admin token (only for a person at a terminal, never for logs). */
  banner(url?: string, options?: { revealToken?: boolean }): string;
  /** Subscribes the reply router and starts the adapters. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ChatWiringDeps {
  app: FastifyInstance;
  service: JobService;
  /** `<selector> <message>` in chat; absent: such messages are answered that it is not available. */
  fanOut?: FanOutApi;
  stores: Stores;
  bus: EventBus;
  relay: { relayNow(events: OutboxEvent[]): void };
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  outboxClaimMs: number;
  /** Wraps every adapter this process hosts (reply metrics), so all sends go through it. */
  decorateAdapter?: (adapter: ChatAdapter) => ChatAdapter;
}

/**
 * Without an `access` section, the embedded default: the web `admin` and user-API tokens (which
 * only an admin with database access can create) may use every agent and command.
 */
const EMBEDDED_ACCESS: AccessConfig = { groups: {}, rules: [{ who: ['web:admin', 'api:*'], agents: ['*'], commands: ['*'] }] };

/** Wires the chat pipeline: commands, access control, dispatcher, reply router and the adapters this process hosts. */
export async function wireChat(config: Readonly<SkadiConfig>, deps: ChatWiringDeps): Promise<ChatWiring> {
  const { app, service, stores, clock, logger } = deps;
  const commands = createCommandRegistry(BUILTIN_COMMANDS);
  const accessConfig = config.access === null ? EMBEDDED_ACCESS : validateAccessConfig(config.access, { knownCommands: commands.accessVocabulary(), key: 'access' });
  const access = createAccessControl(accessConfig, { audit: stores.audit, clock, agentLabels: async (name) => (await service.getAgent(name))?.labels ?? null });
  const adapters = new Map<string, ChatAdapter>();
  const host = (adapter: ChatAdapter) => adapters.set(adapter.platform, deps.decorateAdapter ? deps.decorateAdapter(adapter) : adapter);

  let adminToken: string | null = null;
  if (config.web.enabled) {
    let users = config.web.users;
    if (users === null) {
      adminToken = ensureWebAdminToken(config.data.dir);
      users = [{ name: 'admin', tokenHash: createHash('sha256').update(adminToken).digest('hex') }];
    }
    const web = createWebAdapter({ users, secureCookie: config.server.publicUrl?.startsWith('https:') ?? false, offlineAfterMs: config.agents.offlineAfterMs }, { jobs: service, bus: deps.bus, notifier: deps.notifier, clock, logger: logger.child({ platform: 'web' }) });
    await app.register(web.plugin);
    host(web.adapter);
  }

  const platformDeps: PlatformDeps = {
    jobs: service,
    bus: deps.bus,
    notifier: deps.notifier,
    kv: stores.kv,
    audit: stores.audit,
    clock,
    logger,
    nodeId: deps.nodeId,
    dataDir: config.data.dir,
    publicUrl: config.server.publicUrl,
  };
  for (const [key, create] of PLATFORMS) {
    if (config[key] === null || config[key] === undefined) continue;
    const platform = await create(config[key], { ...platformDeps, logger: logger.child({ platform: key }) });
    if (platform.plugin) await app.register(platform.plugin);
    host(platform.adapter);
  }

  const dispatcher = createDispatcher(
    { maxMessageLength: config.jobs.maxMessageLength },
    {
      jobs: service,
      commands,
      access,
      audit: stores.audit,
      kv: stores.kv,
      // EventMessage goes through the outbox like every event, so a Redis outage loses none.
      publish: async (payload) => {
        const now = clock.now();
        const event = await stores.outbox.add('EventMessage', payload, `msg:${randomId(16)}`, now, new Date(now.getTime() + deps.outboxClaimMs));
        deps.relay.relayNow([event]);
      },
      reply: async (thread, message) => {
        const adapter = adapters.get(thread.platform);
        if (!adapter) throw new AdapterError(thread.platform, 'no adapter for this platform runs in this process');
        await adapter.send(thread, message);
      },
      clock,
      logger,
      fanOut: deps.fanOut,
    },
  );

  const router = createReplyRouter(
    { owner: `${deps.nodeId}/${randomBytes(4).toString('hex')}`, restartedOwnerPrefix: `${deps.nodeId}/` },
    { bus: deps.bus, jobs: service, replies: stores.replies, adapters, clock, logger: logger.child({ component: 'reply-router' }) },
  );

  let started = false;
  return {
    adapters,
    authorizeApi: (identity, request) => authorize(access, identity, { ...request, ...(request.command ? commands.accessTarget(request.command) : {}) }),
    checkAgentName: (name) => assertAgentNameAllowed(name, commands.words()),
    banner(url, options = {}) {
      if (!config.web.enabled) return 'web chat is disabled (web.enabled: false)';
      const where = url ?? config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
      if (adminToken && !options.revealToken) return `web chat: ${where}/  (user: admin; the token is in ${config.data.dir}/web-admin-token)`;
      return adminToken ? `web chat: ${where}/  (user: admin, token: ${adminToken} — kept in ${config.data.dir}/web-admin-token)` : `web chat: ${where}/  (log in with a user from web.users)`;
    },
    async start() {
      await router.start();
      for (const adapter of adapters.values()) await adapter.start(dispatcher);
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      for (const adapter of adapters.values()) await adapter.stop().catch((err) => logger.warn({ err, platform: adapter.platform }, 'adapter did not stop cleanly'));
      await dispatcher.drain();
      await router.stop();
    },
  };
}
