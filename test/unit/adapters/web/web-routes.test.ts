import { afterEach, describe, expect, it } from 'vitest';
import { createWebAdapter } from '../../../../adapters/web/web-adapter.js';
import { ConfigError, SkadiError, silentLogger, type InboundMessage } from '../../../../src/core/index.js';
import { manualClock } from '../../../helpers/manual-clock.js';
import { createFakeJobsApi, fakeAgent, fakeJob } from '../../../helpers/web-fake-jobs.js';
import { sha256, startWebServer, type WebTestServer } from '../../../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };
const BOB = { name: 'bob', token: 'bob-token-0123456789' };

let server: WebTestServer;
afterEach(async () => server?.close());

async function setup(clock = manualClock()) {
  server = await startWebServer({ users: [ALICE, BOB], listen: false, clock });
  return { server, clock };
}

async function login(user = ALICE): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: user.name, token: user.token } });
  expect(res.statusCode).toBe(200);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

const post = (cookie: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url: '/web/api/messages', headers: { cookie, ...headers }, payload: payload as string });

describe('web adapter routes', () => {
  it('serves the page and its scripts with a strict content security policy', async () => {
    await setup();
    const page = await server.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/web/static/app.js');
    const js = await server.app.inject({ method: 'GET', url: '/web/static/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    const again = await server.app.inject({ method: 'GET', url: '/web/static/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
    for (const url of ['/web/static/nope.js', '/web/static/..%2Fweb-adapter.ts', '/web/static/index.html']) {
      const res = await server.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.json().code, url).toMatch(/^SKADI_/);
    }
  });

  it('logs in with an HttpOnly, SameSite=Strict session cookie and logs out', async () => {
    await setup();
    const res = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'alice', token: ALICE.token } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toBe('alice');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^skadi_web_session=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = setCookie.split(';')[0]!;
    expect((await server.app.inject({ method: 'GET', url: '/web/api/session', headers: { cookie } })).json()).toMatchObject({ user: 'alice' });
    const out = await server.app.inject({ method: 'POST', url: '/web/api/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await server.app.inject({ method: 'GET', url: '/web/api/session', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ code: 'SKADI_UNAUTHENTICATED', message: expect.any(String) });
  });

  it('refuses a wrong token, an unknown user, and then too many tries', async () => {
    await setup();
    for (const payload of [{ user: 'alice', token: BOB.token }, { user: 'mallory', token: ALICE.token }]) {
      const res = await server.app.inject({ method: 'POST', url: '/web/api/login', payload });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('SKADI_UNAUTHENTICATED');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    for (let i = 0; i < 9; i++) await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'alice', token: 'wrong' } });
    const limited = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'alice', token: ALICE.token } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('SKADI_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    // Bob is not locked out by attempts on alice.
    await login(BOB);
  });

  it('expires sessions', async () => {
    const { clock } = await setup();
    const cookie = await login();
    clock.advance(12 * 3_600_000 + 1);
    expect((await server.app.inject({ method: 'GET', url: '/web/api/session', headers: { cookie } })).statusCode).toBe(401);
  });

  it('accepts a message with 202 and hands it to the sink', async () => {
    await setup();
    const inbox: InboundMessage[] = [];
    await server.adapter.start(async (m) => void inbox.push(m));
    const cookie = await login();
    const res = await post(cookie, { conversationId: 'conv0001', clientMessageId: 'msg00001', text: 'local uptime' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true, threadId: 'msg00001', duplicate: false });
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.sender.identity).toBe('web:alice');
    const retry = await post(cookie, { conversationId: 'conv0001', clientMessageId: 'msg00001', text: 'local uptime' });
    expect(retry.json().duplicate).toBe(true);
    expect(inbox.map((m) => m.id)).toEqual(['alice/msg00001', 'alice/msg00001']);
  });

  it('answers bad bodies with 400/413 and a code, never 500', async () => {
    await setup();
    await server.adapter.start(async () => {});
    const cookie = await login();
    const ok = { conversationId: 'conv0001', clientMessageId: 'msg00001', text: 'hi' };
    const cases: Array<[string, unknown, Record<string, string>?]> = [
      ['missing text', { conversationId: 'conv0001', clientMessageId: 'msg00001' }],
      ['empty text', { ...ok, text: '' }],
      ['blank text', { ...ok, text: ' \n\t ' }],
      ['text too long', { ...ok, text: 'x'.repeat(4001) }],
      ['short client id', { ...ok, clientMessageId: 'x' }],
      ['bad conversation id', { ...ok, conversationId: '../../etc' }],
      ['bad thread id', { ...ok, threadId: 'a b c d e f g' }],
      ['text object', { ...ok, text: { a: 1 } }],
      ['array body', [ok]],
      ['invalid json', '{"conversationId": ', { 'content-type': 'application/json' }],
      ['not json', 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['empty json', '', { 'content-type': 'application/json' }],
    ];
    for (const [name, payload, headers] of cases) {
      const res = await post(cookie, typeof payload === 'string' ? payload : JSON.stringify(payload), { 'content-type': 'application/json', ...headers });
      expect(res.statusCode, name).toBe(400);
      expect(res.json(), name).toEqual({ code: 'SKADI_BAD_REQUEST', message: expect.any(String) });
    }
    const huge = await post(cookie, JSON.stringify({ ...ok, text: 'x'.repeat(100_000) }), { 'content-type': 'application/json' });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('SKADI_BODY_TOO_LARGE');
    const badLogin = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: 'a/b', token: 'x' } });
    expect(badLogin.statusCode).toBe(400);
    expect(badLogin.json().code).toBe('SKADI_BAD_REQUEST');
  });

  it('refuses messages without a session, and before the adapter started', async () => {
    await setup();
    const body = { conversationId: 'conv0001', clientMessageId: 'msg00001', text: 'hi' };
    const anon = await server.app.inject({ method: 'POST', url: '/web/api/messages', payload: body });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().code).toBe('SKADI_UNAUTHENTICATED');
    const forged = await post('skadi_web_session=forged', body);
    expect(forged.statusCode).toBe(401);
    const cookie = await login();
    const early = await post(cookie, body);
    expect(early.statusCode).toBe(503);
    expect(early.json().code).toBe('SKADI_UNAVAILABLE');
  });

  it('passes a SkadiError from the sink through with its code; hides other errors', async () => {
    await setup();
    let error: Error = new SkadiError('SKADI_RATE_LIMITED', 'slow down');
    await server.adapter.start(async () => {
      throw error;
    });
    const cookie = await login();
    const body = { conversationId: 'conv0001', clientMessageId: 'msg00001', text: 'hi' };
    const limited = await post(cookie, body);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ code: 'SKADI_RATE_LIMITED', message: 'slow down' });
    error = new Error('database password is hunter2');
    const internal = await post(cookie, { ...body, clientMessageId: 'msg00002' });
    expect(internal.statusCode).toBe(500);
    expect(internal.json()).toEqual({ code: 'SKADI_INTERNAL', message: 'internal error' });
  });

  it('lists agents and recent jobs for a logged-in user', async () => {
    const jobs = createFakeJobsApi([fakeAgent('web-2'), fakeAgent('db-1', { status: 'offline', lastSeenAt: null, revokedAt: new Date() })]);
    for (let i = 0; i < 5; i++) jobs.putJob(fakeJob({ id: `job${i}`, agent: 'web-2', createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
    server = await startWebServer({ users: [ALICE], listen: false, jobs });
    expect((await server.app.inject({ method: 'GET', url: '/web/api/agents' })).statusCode).toBe(401);
    const cookie = await login();
    const agents = (await server.app.inject({ method: 'GET', url: '/web/api/agents', headers: { cookie } })).json();
    expect(agents.agents.map((a: { name: string }) => a.name)).toEqual(['db-1', 'web-2']);
    expect(agents.agents[0]).toMatchObject({ status: 'offline', lastSeenAt: null, revoked: true });
    const list = (await server.app.inject({ method: 'GET', url: '/web/api/jobs?limit=2', headers: { cookie } })).json();
    expect(list.jobs.map((j: { id: string }) => j.id)).toEqual(['job4', 'job3']);
    expect(list.jobs[0]).toMatchObject({ agent: 'web-2', state: 'queuing', requester: 'web:alice' });
    for (const q of ['limit=0', 'limit=1000', 'limit=abc']) {
      const res = await server.app.inject({ method: 'GET', url: `/web/api/jobs?${q}`, headers: { cookie } });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code).toBe('SKADI_BAD_REQUEST');
    }
  });

  it('rejects a bad user list at creation, naming the key', () => {
    const deps = { jobs: createFakeJobsApi(), clock: manualClock(), logger: silentLogger };
    expect(() => createWebAdapter({ users: [{ name: 'a/b', tokenHash: sha256('x') }] }, deps)).toThrow(ConfigError);
    expect(() => createWebAdapter({ users: [{ name: 'alice', tokenHash: 'plain-token' }] }, deps)).toThrow(/web\.users\[0\]\.tokenHash/);
    expect(() => createWebAdapter({ users: [{ name: 'a', tokenHash: sha256('x') }, { name: 'a', tokenHash: sha256('y') }] }, deps)).toThrow(/listed twice/);
  });
});
