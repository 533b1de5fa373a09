import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { SkadiError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Stores } from '../../../src/core/stores.js';
import { createInProcessNotifier } from '../../../src/bus/in-process-notifier.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { createJobService, type JobService } from '../../../src/jobs/job-service.js';
import { createFanOutService, type FanOutService } from '../../../src/jobs/fan-out-service.js';
import { createTokenService } from '../../../src/auth/token-service.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { registerUserApi } from '../../../src/http/user-api.js';
import { sendTarget } from '../../../src/cli/user-commands.js';
import { TEST_JOB_OPTIONS } from '../../helpers/job-service-fixture.js';

describe('user API: POST /api/v1/jobs with a selector (fan-out)', () => {
  let stores: Stores;
  let service: JobService;
  let fanOut: FanOutService;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skadi-api-fanout-'));
    stores = await createTypeormStores({ url: `sqlite:${join(dir, 'api.db')}`, migrate: true });
    const notifier = createInProcessNotifier();
    service = createJobService(TEST_JOB_OPTIONS, { stores, notifier, relay: { relayNow: () => undefined }, clock: systemClock, logger: silentLogger });
    await service.start();
    fanOut = createFanOutService({ concurrency: 10, maxFailures: 0, timeoutMs: 60_000, offlineAfterMs: TEST_JOB_OPTIONS.offlineAfterMs, maxMessageLength: 4000 }, { stores, jobs: service, relay: { relayNow: () => undefined }, notifier, clock: systemClock, logger: silentLogger });
    const tokens = createTokenService({ cacheMs: 0 }, { tokens: stores.tokens, clock: systemClock });
    app = createHttpServer({ bodyLimit: 64 * 1024, logger: silentLogger });
    registerUserApi(app, {
      service,
      tokens,
      audit: stores.audit,
      clock: systemClock,
      offlineAfterMs: TEST_JOB_OPTIONS.offlineAfterMs,
      fanOut,
      authorize: async (identity, request) => {
        if (request.agent === 'web-3') throw new SkadiError('SKADI_FORBIDDEN', `${identity} may not run jobs on web-3`);
      },
    });
    await app.ready();
    for (const name of ['web-1', 'web-2', 'web-3', 'web-4']) {
      await stores.agents.create({ name, labels: { role: 'web' }, createdAt: new Date() });
      if (name !== 'web-4') await stores.agents.checkIn(name, { at: new Date() });
    }
    token = (await tokens.create('user', 'api:ci', 'ci')).token;
  });
  afterAll(async () => {
    await app.close();
    await service.stop();
    await stores.close();
  });

  const post = (payload: object, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { authorization: `Bearer ${token}`, ...headers }, payload });
  const get = (path: string) => app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });

  it('answers the parent (kind fanout) with its children; skipped agents say why; ?wait waits for the parent', async () => {
    const r = await post({ selector: 'role=web', message: 'uptime', concurrency: 1 }, { 'idempotency-key': 'deploy-1' });
    expect(r.statusCode).toBe(201);
    const parent = r.json();
    expect(parent).toMatchObject({ kind: 'fanout', agent: '(role=web)', state: 'running', selector: 'role=web', concurrency: 1, maxFailures: 0, targets: ['web-1', 'web-2'], skipped: [{ agent: 'web-3', reason: 'not-allowed' }, { agent: 'web-4', reason: 'offline' }] });
    expect(parent.children).toEqual([{ id: expect.any(String), agent: 'web-1', state: 'queuing', exitCode: null }]);
    const again = await post({ selector: 'role=web', message: 'uptime', concurrency: 1 }, { 'idempotency-key': 'deploy-1' });
    expect([again.statusCode, again.json().id]).toEqual([200, parent.id]);

    const waiting = get(`/api/v1/jobs/${parent.id}?wait=20`);
    for (const agent of ['web-1', 'web-2']) {
      const [assigned] = (await service.poll(agent, { max: 1, wait: 5 })).jobs;
      await service.ack(agent, assigned!.id, assigned!.lease);
      await service.result(agent, assigned!.id, { lease: assigned!.lease, exitCode: agent === 'web-2' ? 1 : 0, chunks: 0 });
      await fanOut.advance(parent.id);
    }
    const done = (await waiting).json();
    expect(done).toMatchObject({ kind: 'fanout', state: 'failed', counts: { succeeded: 1, failed: 1, expired: 0 } });
    expect(done.children.map((c: { agent: string; exitCode: number }) => [c.agent, c.exitCode])).toEqual([['web-1', 0], ['web-2', 1]]);
  });

  it('refuses bad requests: both or neither target, options without a selector, bad values, a selector that does not parse', async () => {
    expect((await post({ selector: 'role=web', agent: 'web-1', message: 'x' })).statusCode).toBe(400);
    expect((await post({ message: 'x' })).statusCode).toBe(400);
    expect((await post({ agent: 'web-1', message: 'x', concurrency: 2 })).statusCode).toBe(400);
    expect((await post({ selector: 'role=web', message: 'x', concurrency: 0 })).statusCode).toBe(400);
    expect((await post({ selector: 'role=web', message: 'x', maxFailures: -1 })).statusCode).toBe(400);
    const bad = await post({ selector: 'role in (web', message: 'x' });
    expect([bad.statusCode, bad.json().details.position]).toEqual([400, 12]);
    const refused = await post({ selector: 'web-3', message: 'x' });
    expect([refused.statusCode, refused.json().code]).toEqual([403, 'SKADI_FORBIDDEN']);
  });
});

describe('skadi send: what it targets', () => {
  it('takes the first word as the agent, or with --selector every word as the message', () => {
    expect(sendTarget(['web-1', 'echo', 'hi'], {})).toEqual({ target: { agent: 'web-1' }, message: 'echo hi' });
    expect(sendTarget(['echo', 'hi'], { selector: 'role=web', concurrency: '2', maxFailures: '0' })).toEqual({ target: { selector: 'role=web', concurrency: 2, maxFailures: 0 }, message: 'echo hi' });
    expect(sendTarget(['uptime'], { selector: 'role=web' })).toEqual({ target: { selector: 'role=web' }, message: 'uptime' });
    expect(sendTarget(['web-1'], {})).toMatchObject({ usage: expect.stringContaining('missing the message') });
    expect(sendTarget(['web-1', 'x'], { concurrency: '2' })).toMatchObject({ usage: expect.stringContaining('go with --selector') });
    expect(sendTarget(['x'], { selector: 'role=web', concurrency: '0' })).toMatchObject({ usage: expect.stringContaining('--concurrency needs a whole number of at least 1') });
  });
});
