import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../helpers/api-fixture.js';

describe('user API', () => {
  let f: ApiFixture;
  let user: string;
  let agentToken: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    f = await apiFixture({ deny: ['api:intruder'] });
    agentToken = await f.agent('web-1');
    await f.stores.agents.create({ name: 'asleep', labels: {}, createdAt: new Date() });
    user = await f.userToken('api:ci');
  });
  afterAll(() => f.close());

  const create = (payload: unknown, headers: Record<string, string> = {}) => f.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...auth(user), ...headers }, payload: payload as object });

  it('creates a job and shows it', async () => {
    const r = await create({ agent: 'web-1', message: 'uptime' });
    expect(r.statusCode).toBe(201);
    const job = r.json();
    expect(job).toMatchObject({ agent: 'web-1', message: 'uptime', state: 'queuing', requester: 'api:ci' });
    const got = await f.app.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}`, headers: auth(user) });
    expect(got.json().id).toBe(job.id);
    const list = await f.app.inject({ method: 'GET', url: '/api/v1/jobs?agent=web-1&state=queuing&limit=5', headers: auth(user) });
    expect(list.json().jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    const audit = await f.stores.audit.list(10, 'api:ci');
    expect(audit.some((e) => e.action === 'job.create' && e.target === job.id)).toBe(true);
  });

  it('honours Idempotency-Key: same body → same job (200), other body → 422', async () => {
    const first = await create({ agent: 'web-1', message: 'deploy v2' }, { 'idempotency-key': 'build-77' });
    const again = await create({ agent: 'web-1', message: 'deploy v2' }, { 'idempotency-key': 'build-77' });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const other = await create({ agent: 'web-1', message: 'deploy v3' }, { 'idempotency-key': 'build-77' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('SKADI_IDEMPOTENCY_CONFLICT');
  });

  it('waits for a job to finish with ?wait=', async () => {
    const job = (await create({ agent: 'web-1', message: 'date' })).json();
    const waiting = f.app.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}?wait=10`, headers: auth(user) });
    const jobs = (await f.service.poll('web-1', { max: 10, wait: 0 })).jobs;
    const a = jobs.find((j) => j.id === job.id)!;
    await f.service.ack('web-1', a.id, a.lease);
    await f.service.result('web-1', a.id, { lease: a.lease, exitCode: 0, chunks: 0 });
    const r = await waiting;
    expect(r.json()).toMatchObject({ id: job.id, state: 'succeeded', exitCode: 0 });
  });

  it('answers an offline agent with 409 SKADI_AGENT_OFFLINE and the expired job id', async () => {
    const r = await create({ agent: 'asleep', message: 'uptime' });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('SKADI_AGENT_OFFLINE');
    const job = await f.service.get(r.json().details.jobId);
    expect(job).toMatchObject({ state: 'expired', reason: 'agent-offline' });
  });

  it('cancels a job', async () => {
    const job = (await create({ agent: 'web-1', message: 'sleep' })).json();
    const r = await f.app.inject({ method: 'POST', url: `/api/v1/jobs/${job.id}/cancel`, headers: auth(user) });
    expect(r.json()).toMatchObject({ state: 'cancelled', reason: 'cancelled by api:ci' });
    const twice = await f.app.inject({ method: 'POST', url: `/api/v1/jobs/${job.id}/cancel`, headers: auth(user) });
    expect(twice.statusCode).toBe(409);
  });

  it('lists agents with derived online status', async () => {
    const r = await f.app.inject({ method: 'GET', url: '/api/v1/agents', headers: auth(user) });
    const byName = Object.fromEntries(r.json().agents.map((a: { name: string }) => [a.name, a]));
    expect(byName['web-1']).toMatchObject({ online: true, status: 'online' });
    expect(byName.asleep).toMatchObject({ online: false, status: 'offline', lastSeenAt: null });
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/agents/nobody', headers: auth(user) })).json().code).toBe('SKADI_AGENT_NOT_FOUND');
  });

  it('refuses bad input with codes', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ agent: 'web-1' }, 400, 'SKADI_BAD_REQUEST'],
      [{ agent: '', message: 'x' }, 400, 'SKADI_BAD_REQUEST'],
      [{ agent: 'web-1', message: 'x', extra: 1 }, 400, 'SKADI_BAD_REQUEST'],
      [{ agent: 'nobody', message: 'x' }, 404, 'SKADI_AGENT_NOT_FOUND'],
      [{ agent: 'Web 1!', message: 'x' }, 404, 'SKADI_AGENT_NOT_FOUND'],
      [{ agent: 'web-1', message: '   ' }, 400, 'SKADI_BAD_REQUEST'],
      [{ agent: 'web-1', message: 'x'.repeat(5000) }, 400, 'SKADI_BAD_REQUEST'],
      [[1, 2], 400, 'SKADI_BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const r = await create(body);
      expect([r.statusCode, r.json().code], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
    }
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=9999', headers: auth(user) })).statusCode).toBe(400);
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs?state=weird', headers: auth(user) })).statusCode).toBe(400);
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs/nope', headers: auth(user) })).json().code).toBe('SKADI_JOB_NOT_FOUND');
  });

  it('refuses agent tokens, no token and forbidden identities', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: auth(agentToken) })).statusCode).toBe(401);
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs' })).statusCode).toBe(401);
    const intruder = await f.userToken('api:intruder');
    const r = await f.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: auth(intruder), payload: { agent: 'web-1', message: 'x' } });
    expect([r.statusCode, r.json().code]).toEqual([403, 'SKADI_FORBIDDEN']);
  });

  it('serves /healthz and /readyz', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await f.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });
});
