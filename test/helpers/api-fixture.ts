import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SkadiError } from '../../src/core/errors.js';
import type { Stores } from '../../src/core/stores.js';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { createInProcessNotifier } from '../../src/bus/in-process-notifier.js';
import { createJobService, type JobService } from '../../src/jobs/job-service.js';
import { createTokenService, type TokenService } from '../../src/auth/token-service.js';
import { createHttpServer } from '../../src/http/create-http-server.js';
import { registerAgentApi } from '../../src/http/agent-api.js';
import { registerUserApi } from '../../src/http/user-api.js';
import { registerHealthRoutes } from '../../src/http/health-routes.js';
import { TEST_JOB_OPTIONS } from './job-service-fixture.js';

export interface ApiFixture {
  app: FastifyInstance;
  stores: Stores;
  service: JobService;
  tokens: TokenService;
  /** Creates an agent that has checked in, and returns its token. */
  agent(name: string): Promise<string>;
  userToken(identity?: string): Promise<string>;
  close(): Promise<void>;
}

/** The HTTP APIs over a real SQLite store, for `inject()` tests without sockets. */
export async function apiFixture(options: { bodyLimit?: number; deny?: string[] } = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'skadi-api-'));
  const stores = await createTypeormStores({ url: `sqlite:${join(dir, 'api.db')}`, migrate: true });
  const service = createJobService({ ...TEST_JOB_OPTIONS, maxOutput: 64 * 1024 }, { stores, notifier: createInProcessNotifier(), relay: { relayNow: () => undefined }, clock: systemClock, logger: silentLogger });
  await service.start();
  const tokens = createTokenService({ cacheMs: 0 }, { tokens: stores.tokens, clock: systemClock });
  const app = createHttpServer({ bodyLimit: options.bodyLimit ?? 64 * 1024, logger: silentLogger });
  registerAgentApi(app, { service, tokens });
  registerUserApi(app, {
    service,
    tokens,
    audit: stores.audit,
    clock: systemClock,
    offlineAfterMs: TEST_JOB_OPTIONS.offlineAfterMs,
    authorize: async (identity) => {
      if (options.deny?.includes(identity)) throw new SkadiError('SKADI_FORBIDDEN', `${identity} may not do that`);
    },
  });
  registerHealthRoutes(app, { checks: { database: () => stores.ping() } });
  await app.ready();
  return {
    app,
    stores,
    service,
    tokens,
    async agent(name) {
      await stores.agents.create({ name, labels: {}, createdAt: new Date() });
      await stores.agents.checkIn(name, { at: new Date() });
      return (await tokens.create('agent', name, 'test')).token;
    },
    async userToken(identity = 'api:ci') {
      return (await tokens.create('user', identity, 'ci')).token;
    },
    async close() {
      await app.close();
      await service.stop();
      await stores.close();
    },
  };
}
