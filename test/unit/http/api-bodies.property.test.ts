import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebAdapter, type WebAdapter } from '../../../adapters/web/web-adapter.js';
import { createTokenService } from '../../../src/auth/token-service.js';
import { createInProcessNotifier } from '../../../src/bus/in-process-notifier.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Stores } from '../../../src/core/stores.js';
import { registerAgentApi } from '../../../src/http/agent-api.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { registerHealthRoutes } from '../../../src/http/health-routes.js';
import { registerUserApi } from '../../../src/http/user-api.js';
import { createJobService, type JobService } from '../../../src/jobs/job-service.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { TEST_JOB_OPTIONS } from '../../helpers/job-service-fixture.js';

/**
 * Every JSON body (and parameter and query) of the HTTP API, fed random and malformed input:
 * the answer is a 2xx or a 4xx `{code: SKADI_…, message}`, never a 5xx, a stack trace or a
 * hung request. The agent API, the user API and the web chat's routes, on one app as the
 * server wires them, over a real SQLite store.
 */

const WEB_ADMIN_TOKEN = 'skadi_web_property-test-token';
let stores: Stores;
let service: JobService;
let app: FastifyInstance;
let web: WebAdapter;
let agentToken: string;
let userToken: string;
let cookie: string;
/** A job handed to web-1 and acknowledged, so random output and result bodies reach the state machine. */
let running: { id: string; lease: string };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skadi-fuzz-'));
  stores = await createTypeormStores({ url: `sqlite:${join(dir, 'fuzz.db')}`, migrate: true });
  // Polls are never held (pollWaitMax 0): a random `wait` must not stall the run.
  service = createJobService({ ...TEST_JOB_OPTIONS, pollWaitMaxMs: 0, maxOutput: 16 * 1024 }, { stores, notifier: createInProcessNotifier(), relay: { relayNow: () => undefined }, clock: systemClock, logger: silentLogger });
  await service.start();
  const tokens = createTokenService({ cacheMs: 0 }, { tokens: stores.tokens, clock: systemClock });
  app = createHttpServer({ bodyLimit: 64 * 1024, logger: silentLogger });
  registerAgentApi(app, { service, tokens });
  registerUserApi(app, { service, tokens, audit: stores.audit, clock: systemClock, offlineAfterMs: 180_000, authorize: async () => undefined });
  registerHealthRoutes(app, { checks: { database: () => stores.ping() } });
  web = createWebAdapter({ users: [{ name: 'admin', tokenHash: createHash('sha256').update(WEB_ADMIN_TOKEN).digest('hex') }] }, { jobs: service, clock: systemClock, logger: silentLogger });
  await app.register(web.plugin);
  await web.adapter.start(async () => undefined);
  await app.ready();

  await stores.agents.create({ name: 'web-1', labels: { role: 'web' }, createdAt: new Date() });
  await stores.agents.checkIn('web-1', { at: new Date() });
  agentToken = (await tokens.create('agent', 'web-1', 'fuzz')).token;
  userToken = (await tokens.create('user', 'api:fuzz', 'fuzz')).token;
  const { job } = await service.submit({ agent: 'web-1', message: 'uptime', requester: { identity: 'api:fuzz' }, thread: null });
  const [a] = (await service.poll('web-1', { max: 1, wait: 0 })).jobs;
  await service.ack('web-1', job.id, a!.lease);
  running = { id: job.id, lease: a!.lease };
  const login = await app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'admin', token: WEB_ADMIN_TOKEN } });
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
});

afterAll(async () => {
  await web?.adapter.stop();
  await app?.close();
  await service?.stop();
  await stores?.close();
});

/** Statuses seen, to check the random input got past the schemas into the handlers too. */
const seen = new Map<number, number>();

/** The property every answer must have. */
function wellFormed(res: LightMyRequestResponse, what: string): void {
  seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = res.json() as { code?: unknown; message?: unknown };
    expect(body.code, what).toMatch(/^SKADI_[A-Z_]+$/);
    expect(typeof body.message, what).toBe('string');
    expect(res.body, what).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
  }
}

/** Any JSON value, strings with every code point, numbers at the edges. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53 + 1, -0, 1e308, 0.5, '', '0', 'true', null, [], {}, '\u0000', '\u202e', '<script>alert(1)</script>', '../../etc/passwd', 'a'.repeat(70_000)),
);

/** A body for a route: random JSON, a record of the route's own fields with random values, or text that is not JSON. */
function body(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<{ payload: string; type: string }> {
  const shaped = fc.record(
    Object.fromEntries(Object.entries(fields).map(([k, arb]) => [k, fc.oneof(arb, value)])),
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: shaped.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })) },
    fc.record({ extra: value }).map((v) => ({ payload: JSON.stringify({ ...v, extra: v.extra }), type: 'application/json' })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ payload: JSON.stringify(v) ?? 'null', type: 'application/json' })),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s) => ({ payload: s, type: 'application/json' })),
    fc.tuple(fc.string({ maxLength: 30 }), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'image/png', '')).map(([s, type]) => ({ payload: s, type })),
  );
}

/** `__running__` stands for the id of the running job (known only once the fixture is up). */
const idParam = fc.oneof(fc.constant('__running__'), fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }), fc.constantFrom('..', '%00', 'a'.repeat(65)));
const id = (raw: string) => encodeURIComponent(raw === '__running__' ? running.id : raw);
const lease = fc.oneof(fc.constant('__lease__'), fc.string({ maxLength: 70 }));
const withLease = (v: string) => (v === '__lease__' ? running.lease : v);
const query = fc.dictionary(fc.constantFrom('agent', 'state', 'limit', 'before', 'wait', 'selector', 'id', 'x', 'conversationId'), fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('0', '-1', '1e9', 'NaN', 'queuing', 'web-1', 'role=web', '2026-01-01T00:00:00Z')), { maxKeys: 4 });
const qs = (q: Record<string, string>) => (Object.keys(q).length ? `?${new URLSearchParams(q).toString()}` : '');
const RUNS = { numRuns: 250 };

describe('agent API: random bodies never crash it', () => {
  const auth = () => ({ authorization: `Bearer ${agentToken}` });

  it('POST /poll', async () => {
    await fc.assert(
      fc.asyncProperty(body({ wait: fc.constantFrom(0, 0.5, 30, 61, -1), max: fc.integer({ min: -5, max: 200 }), running: fc.array(fc.string({ maxLength: 70 }), { maxLength: 5 }), info: fc.record({ version: value, host: value, os: value, labels: fc.dictionary(fc.string({ maxLength: 70 }), value, { maxKeys: 5 }) }, { requiredKeys: [] }) }), async (b) => {
        const res = await app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: { ...auth(), 'content-type': b.type }, payload: b.payload });
        wellFormed(res, `poll ${b.payload.slice(0, 200)}`);
      }),
      RUNS,
    );
  });

  it('POST /jobs/:id/ack, /output and /result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ack', 'output', 'result'),
        idParam,
        body({ lease: lease.map(withLease), seq: fc.integer({ min: -2, max: 2_000_000 }), data: fc.string({ unit: 'binary', maxLength: 200 }), exitCode: fc.integer({ min: -300, max: 300 }), chunks: fc.integer({ min: -1, max: 5 }), error: fc.string({ unit: 'binary', maxLength: 3000 }) }),
        async (route, rawId, b) => {
          const res = await app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${id(rawId)}/${route}`, headers: { ...auth(), 'content-type': b.type }, payload: b.payload });
          wellFormed(res, `${route} ${rawId} ${b.payload.slice(0, 200)}`);
        },
      ),
      RUNS,
    );
  });
});

describe('user API: random bodies, parameters and queries never crash it', () => {
  const auth = () => ({ authorization: `Bearer ${userToken}` });

  it('POST /jobs (with and without Idempotency-Key)', async () => {
    await fc.assert(
      fc.asyncProperty(body({ agent: fc.constantFrom('web-1', 'nope', 'WEB-1', ''), message: fc.string({ unit: 'binary', maxLength: 300 }), timeoutSeconds: fc.integer({ min: -1, max: 1_000_000 }) }), fc.option(fc.string({ maxLength: 300 })), async (b, key) => {
        const headers: Record<string, string> = { ...auth(), 'content-type': b.type };
        if (key !== null && /^[\x20-\x7e]*$/.test(key)) headers['idempotency-key'] = key;
        const res = await app.inject({ method: 'POST', url: '/api/v1/jobs', headers, payload: b.payload });
        wellFormed(res, `create ${b.payload.slice(0, 200)}`);
      }),
      RUNS,
    );
  });

  it('GET /jobs, /jobs/:id, /agents, /agents/:name and POST /jobs/:id/cancel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('list', 'get', 'cancel', 'agents', 'agent'), idParam, query, async (route, rawId, q) => {
        if (route === 'get') delete q.wait; // a valid wait holds the request (tested elsewhere)
        const url = { list: `/api/v1/jobs${qs(q)}`, get: `/api/v1/jobs/${id(rawId)}${qs(q)}`, cancel: `/api/v1/jobs/${id(rawId)}/cancel`, agents: `/api/v1/agents${qs(q)}`, agent: `/api/v1/agents/${id(rawId)}` }[route];
        const res = await app.inject({ method: route === 'cancel' ? 'POST' : 'GET', url, headers: auth() });
        wellFormed(res, `${route} ${url}`);
      }),
      RUNS,
    );
  });

  it('any Authorization header other than a valid token is 401, on every route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 120 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constantFrom('Bearer', 'Bearer ', `Bearer ${agentToken}x`, `bearer ${userToken.slice(0, -1)}`, `Basic ${userToken}`)), fc.constantFrom('/api/v1/jobs', '/api/v1/agents', '/api/v1/agent/poll'), async (header, url) => {
        const res = await app.inject({ method: url.endsWith('poll') ? 'POST' : 'GET', url, headers: { authorization: header }, payload: url.endsWith('poll') ? {} : undefined });
        expect(res.statusCode, header).toBe(401);
        wellFormed(res, header);
      }),
      RUNS,
    );
  });
});

describe('web chat routes: random bodies never crash them', () => {
  it('POST /web/api/login, /logout, /messages and GET /session, /jobs, /jobs/:id, /agents, /web/static/:file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('login', 'logout', 'messages', 'session', 'jobs', 'job', 'agents', 'static'),
        body({ user: fc.constantFrom('admin', 'Admin', 'x'.repeat(70), ''), token: fc.string({ maxLength: 600 }), conversationId: fc.stringMatching(/^c[0-9a-f]{1,16}$/), clientMessageId: fc.stringMatching(/^m[0-9a-f]{1,16}$/), threadId: fc.string({ maxLength: 20 }), text: fc.string({ unit: 'binary', maxLength: 300 }) }),
        idParam,
        query,
        fc.boolean(),
        async (route, b, rawId, q, withCookie) => {
          const headers: Record<string, string> = { 'content-type': b.type, ...(withCookie ? { cookie } : {}) };
          const post = ['login', 'logout', 'messages'].includes(route);
          const url = { login: '/web/api/login', logout: '/web/api/logout', messages: '/web/api/messages', session: '/web/api/session', jobs: `/web/api/jobs${qs(q)}`, job: `/web/api/jobs/${id(rawId)}`, agents: `/web/api/agents${qs(q)}`, static: `/web/static/${id(rawId)}` }[route]!;
          const res = await app.inject({ method: post ? 'POST' : 'GET', url, headers, ...(post ? { payload: b.payload } : {}) });
          wellFormed(res, `${route} ${url} ${b.payload.slice(0, 200)}`);
          // Logging out drops the session the other cases use: log in again.
          if (route === 'logout' && withCookie) {
            const login = await app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'admin', token: WEB_ADMIN_TOKEN } });
            cookie = String(login.headers['set-cookie']).split(';')[0]!;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a megabyte body is refused with 413, not read into memory', async () => {
    const huge = JSON.stringify({ conversationId: 'c1', clientMessageId: 'm1', text: 'x'.repeat(1024 * 1024) });
    for (const url of ['/web/api/messages', '/web/api/login', '/api/v1/jobs', '/api/v1/agent/poll']) {
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', cookie, authorization: `Bearer ${url.includes('agent') ? agentToken : userToken}` }, payload: huge });
      expect(res.statusCode, url).toBe(413);
      wellFormed(res, url);
    }
  });
});

describe('the fuzzing reached past the schemas', () => {
  it('saw successes and each kind of refusal (bad request, not found, conflict, unauthenticated)', () => {
    const codes = [...seen.keys()];
    expect(codes.some((c) => c >= 200 && c < 300), JSON.stringify([...seen])).toBe(true);
    for (const c of [400, 401, 404, 409, 413]) expect(codes, JSON.stringify([...seen])).toContain(c);
  });
});
