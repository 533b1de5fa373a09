import 'reflect-metadata';
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock } from './core/clock.js';
import { systemClock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import type { EventBus, Notifier } from './core/event-bus.js';
import type { Stores } from './core/stores.js';
import type { SkadiConfig } from './config/skadi-config.js';
import { createTypeormStores } from './store/create-typeorm-stores.js';
import { createInProcessBus } from './bus/in-process-bus.js';
import { createInProcessNotifier } from './bus/in-process-notifier.js';
import { createOutboxRelay } from './bus/outbox-relay.js';
import { createJobService, type JobService } from './jobs/job-service.js';
import { createJobTimers } from './jobs/job-timers.js';
import { createFanOutService } from './jobs/fan-out-service.js';
import { createTokenService, type TokenService } from './auth/token-service.js';
import { createHttpServer } from './http/create-http-server.js';
import { registerAgentApi } from './http/agent-api.js';
import { registerUserApi } from './http/user-api.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { createSkadiMetrics, type SkadiMetrics } from './metrics/skadi-metrics.js';
import { meteredAdapter } from './metrics/metered-adapter.js';
import { createOutboxPublisher } from './watch/outbox-publisher.js';
import { createAgentStatusPublisher } from './watch/agent-status-publisher.js';
import { wireWatch } from './wire-watch.js';
import { startEmbeddedAgent, type EmbeddedAgent } from './embedded-agent.js';
import { createJobSigner, loadJobSigningKey } from './auth/job-signing-key.js';
import { compileRedactions } from './core/redaction.js';
import { createSubmitLimiter, withFanOutLimits, withSubmitLimits } from './limits/submit-limits.js';
import { wireChat, type ChatWiring } from './wire-chat.js';
import { SKADI_VERSION } from './version.js';

/** Accept queue length asked of the kernel (capped at net.core.somaxconn, 4096 on current Linux). */
export const LISTEN_BACKLOG = 4096;

export interface SkadiServer {
  /** Base URL the server answers at. */
  url: string;
  app: FastifyInstance;
  service: JobService;
  stores: Stores;
  bus: EventBus;
  tokens: TokenService;
  chat: ChatWiring;
  /** This process's metrics (what `/metrics` shows). */
  metrics: SkadiMetrics;
  /** Stops accepting, drains the embedded agent, closes connections. */
  close(): Promise<void>;
}

export interface StartServerDeps {
  logger: Logger;
  clock?: Clock;
}

/** Wires every part from the configuration and starts listening. The only place that knows all implementations. */
export async function startServer(config: Readonly<SkadiConfig>, deps: StartServerDeps): Promise<SkadiServer> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  // Port 0 is no identity (each run gets another port, and two processes on one host would share
  // `host:0` — one Redis consumer, and each freeing the other's reply claims at start): the pid
  // keeps them apart. A process that must resume after a restart sets node.id.
  const nodeId = config.node.id ?? `${hostname()}:${config.server.port === 0 ? `pid${process.pid}` : config.server.port}`;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => logger.warn({ err }, 'error while closing'));
  };

  try {
    if (config.database.url.startsWith('sqlite:') && config.database.url !== 'sqlite::memory:') mkdirSync(config.data.dir, { recursive: true });
    const stores = await createTypeormStores({ url: config.database.url, migrate: config.database.migrate });
    closers.push(() => stores.close());

    const redis = config.redis.url;
    // ioredis is loaded only by a process configured with Redis.
    const redisBus = redis ? await import('./bus/redis-stream-bus.js') : null;
    const redisNotifier = redis ? await import('./bus/redis-notifier.js') : null;
    const bus: EventBus = redis && redisBus ? redisBus.createRedisStreamBus({ url: redis, keyPrefix: config.redis.keyPrefix, consumer: nodeId }, { logger }) : createInProcessBus({}, { logger });
    const notifier: Notifier = redis && redisNotifier ? redisNotifier.createRedisNotifier({ url: redis, keyPrefix: config.redis.keyPrefix, consumer: nodeId }, { logger }) : createInProcessNotifier({}, { logger });
    closers.push(() => bus.close(), () => notifier.close());

    // The relay's claim window and the service's must match: the writer owns a fresh event that long.
    const outboxClaimMs = 5000;
    const relay = createOutboxRelay({ claimMs: outboxClaimMs }, { outbox: stores.outbox, bus, clock, logger });
    closers.push(() => relay.stop());
    const publish = createOutboxPublisher({ outbox: stores.outbox, relay, clock, claimMs: outboxClaimMs });
    const metrics = createSkadiMetrics({ jobs: stores.jobs, agents: stores.agents, outbox: stores.outbox, clock, offlineAfterMs: config.agents.offlineAfterMs, version: SKADI_VERSION });

    // Jobs are signed when created; agents verify against this key's public half (`skadi keys show`).
    const signingKey = loadJobSigningKey({ signingKey: config.jobs.signingKey, dataDir: config.data.dir });
    const signer = createJobSigner(signingKey.key);
    logger.info({ publicKey: signer.publicKey, from: signingKey.from, ...(signingKey.path ? { path: signingKey.path } : {}) }, 'job signing key');
    const service = createJobService(
      {
        timeoutMs: config.jobs.timeoutMs,
        ackTimeoutMs: config.jobs.ackTimeoutMs,
        offlineAfterMs: config.agents.offlineAfterMs,
        pollWaitMaxMs: config.agents.pollWaitMaxMs,
        maxOutput: config.jobs.maxOutput,
        maxMessageLength: config.jobs.maxMessageLength,
        maxConcurrentJobs: config.agents.maxConcurrentJobs,
        outboxClaimMs,
      },
      { stores, notifier, relay, clock, logger, onAgentStatus: createAgentStatusPublisher({ publish, logger }), onDispatched: metrics.observeDispatch, signer, redactor: compileRedactions(config.jobs.redact) },
    );
    await service.start();
    closers.push(() => service.stop());
    const timers = createJobTimers({ intervalMs: config.timers.intervalMs }, { service, logger });
    timers.start();
    closers.push(() => timers.stop());
    // Fan-out: children are created through the service itself (signed, queued, woken), not the rate-limited wrapper.
    const fanOutService = createFanOutService(
      { concurrency: config.fanout.concurrency, maxFailures: config.fanout.maxFailures, timeoutMs: config.jobs.timeoutMs, offlineAfterMs: config.agents.offlineAfterMs, maxMessageLength: config.jobs.maxMessageLength, outboxClaimMs },
      { stores, jobs: service, relay, notifier, clock, logger },
    );
    // The sweep only catches what a lost event left behind (a crash between a child's end and its parent's update): every few intervals is enough.
    const fanOutTimers = createJobTimers({ intervalMs: config.timers.intervalMs * 5 }, { service: { sweep: async () => ({ ...(await fanOutService.sweep()), redelivered: 0, timedOut: 0, offline: [] }) }, logger });
    fanOutTimers.start();
    closers.push(() => fanOutTimers.stop());

    // Token rows are cached for a minute (longer than a poll wait); revocations reach every process through the notifier.
    const tokens = createTokenService({}, { tokens: stores.tokens, clock });
    closers.push(await tokens.followRevocations(notifier));
    const app = createHttpServer({ bodyLimit: config.server.bodyLimit, logger });
    // fastify.close() waits for requests in flight: held long-polls are answered first, or
    // shutdown would last as long as the longest poll (up to pollWaitMax).
    closers.push(async () => {
      service.releasePolls();
      await app.close();
    });

    // Every way of creating jobs (chat, web, user API) goes through these rate-limited submits,
    // single jobs and fan-outs drawing on the same buckets.
    const limiter = createSubmitLimiter(config.rateLimit);
    const limited = withSubmitLimits(service, limiter);
    const fanOut = withFanOutLimits(fanOutService, limiter);
    const chat = await wireChat(config, { app, service: limited, fanOut, stores, bus, relay, notifier, clock, logger, nodeId, outboxClaimMs, decorateAdapter: (adapter) => meteredAdapter(adapter, metrics.countReply) });
    closers.push(() => chat.stop());
    const watch = wireWatch(config, { app, bus, stores, publish, tokens, service, adapters: chat.adapters, clock, logger, nodeId });
    closers.push(() => watch.stop());

    registerAgentApi(app, { service, tokens });
    registerUserApi(app, { service: limited, tokens, audit: stores.audit, clock, offlineAfterMs: config.agents.offlineAfterMs, authorize: chat.authorizeApi, fanOut });
    registerHealthRoutes(app, { checks: { database: () => stores.ping(), bus: () => bus.ping() } });
    registerMetricsRoutes(app, { registry: metrics.registry });

    // Consumers subscribe before the relay sweeps old events and before requests arrive: on the
    // in-process bus an event published to no subscriber would be marked relayed and lost.
    await chat.start();
    await watch.start();
    // One group for every process: a child's end advances its parent once; a parent's end stops its children.
    const fanOutEvents = await bus.subscribe('EventJobStatus', 'fan-out', (event) => fanOutService.handleEvent(event.payload));
    closers.push(() => fanOutEvents.close());
    relay.start();
    // Node's default accept backlog is 511: thousands of agents reconnecting at once (a restart,
    // a network blip) overflow it and get ECONNRESET. The kernel caps it at net.core.somaxconn.
    await app.listen({ host: config.server.host, port: config.server.port, backlog: LISTEN_BACKLOG });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;
    const listenHost = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    const localUrl = `http://${listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost}:${port}`;
    const url = config.server.publicUrl ?? localUrl;

    let embedded: EmbeddedAgent | null = null;
    if (config.demoAgent.enabled) {
      const journalPath = config.database.url === 'sqlite::memory:' ? null : join(config.data.dir, `embedded-agent-${config.demoAgent.name}.journal`);
      embedded = await startEmbeddedAgent({ name: config.demoAgent.name, server: localUrl, nodeId, version: SKADI_VERSION, serverPublicKey: signer.publicKey, journalPath }, { stores, tokens, clock, logger, checkAgentName: chat.checkAgentName });
      closers.push(() => embedded!.stop());
    }

    logger.info({ url, database: config.database.url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@'), bus: redis ? 'redis' : 'in-process', nodeId }, 'skadi is running');
    return { url, app, service, stores, bus, tokens, chat, metrics, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
