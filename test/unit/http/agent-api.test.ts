import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../helpers/api-fixture.js';

describe('agent API', () => {
  let f: ApiFixture;
  let web1: string;
  let web2: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    f = await apiFixture();
    web1 = await f.agent('web-1');
    web2 = await f.agent('web-2');
  });
  afterAll(() => f.close());

  async function queue(agent = 'web-1', message = 'uptime') {
    return (await f.service.submit({ agent, message, requester: { identity: 'api:test' }, thread: null })).job;
  }

  it('runs a job: poll, ack, output, result', async () => {
    const job = await queue();
    const poll = await f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: auth(web1), payload: { max: 1, wait: 0, info: { version: '1.0', host: 'h', labels: { role: 'web' } } } });
    expect(poll.statusCode).toBe(200);
    const [a] = poll.json().jobs;
    expect(a).toMatchObject({ id: job.id, message: 'uptime', requester: 'api:test', attempt: 1 });
    const ack = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/ack`, headers: auth(web1), payload: { lease: a.lease } });
    expect(ack.json()).toEqual({ id: job.id, state: 'running' });
    const out = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/output`, headers: auth(web1), payload: { lease: a.lease, seq: 0, data: 'up 1 day\n' } });
    expect(out.json()).toEqual({ cancelled: false });
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/result`, headers: auth(web1), payload: { lease: a.lease, exitCode: 0, chunks: 1 } });
    expect(res.json()).toEqual({ id: job.id, state: 'succeeded' });
    expect((await f.service.get(job.id))!.output).toBe('up 1 day\n');
    const agent = await f.stores.agents.get('web-1');
    expect(agent).toMatchObject({ version: '1.0', host: 'h' });
  });

  it('refuses missing, malformed, unknown, user and revoked tokens with 401', async () => {
    const noToken = await f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', payload: {} });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().code).toBe('SKADI_UNAUTHENTICATED');
    for (const token of ['garbage', 'skadi_agt_aaaaaaaaaaaa_' + 'x'.repeat(43), await f.userToken()]) {
      const r = await f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: auth(token), payload: {} });
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe('SKADI_UNAUTHENTICATED');
    }
    const { id, token } = await f.tokens.create('agent', 'web-1', 'to-revoke');
    await f.tokens.revoke(id);
    const revoked = await f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: auth(token), payload: { wait: 0 } });
    expect(revoked.json()).toMatchObject({ code: 'SKADI_UNAUTHENTICATED', message: 'token revoked' });
  });

  it('answers malformed, invalid and oversized bodies with codes, never 500', async () => {
    const cases = [
      { payload: '{"max": 1', type: 'application/json', status: 400 },
      { payload: '', type: 'application/json', status: 400 },
      { payload: JSON.stringify({ max: 'lots' }), type: 'application/json', status: 400 },
      { payload: JSON.stringify({ wait: -1 }), type: 'application/json', status: 400 },
      { payload: JSON.stringify({ unexpected: true }), type: 'application/json', status: 400 },
      { payload: JSON.stringify({ info: { labels: { 'bad key!': 'x' } } }), type: 'application/json', status: 400 },
      { payload: 'max=1', type: 'application/x-www-form-urlencoded', status: 415 },
      { payload: JSON.stringify({ running: ['x'.repeat(70_000)] }), type: 'application/json', status: 413 },
    ];
    for (const c of cases) {
      const r = await f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: { ...auth(web1), 'content-type': c.type }, payload: c.payload });
      expect(r.statusCode, c.payload.slice(0, 40)).toBeLessThan(500);
      expect(r.json().code, c.payload.slice(0, 40)).toMatch(/^SKADI_/);
    }
  });

  it('scopes every job route to the agent: another agent\'s job is not found', async () => {
    const job = await queue();
    const [a] = (await f.service.poll('web-1', { max: 1, wait: 0 })).jobs;
    for (const path of ['ack', 'output', 'result']) {
      const r = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/${path}`, headers: auth(web2), payload: bodyFor(path, a!.lease) });
      expect(r.statusCode).toBe(404);
      expect(r.json().code).toBe('SKADI_JOB_NOT_FOUND');
    }
  });

  it('refuses a result for a job in the wrong state and a stale lease', async () => {
    const job = await queue();
    const [a] = (await f.service.poll('web-1', { max: 1, wait: 0 })).jobs;
    const early = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/result`, headers: auth(web1), payload: bodyFor('result', a!.lease) });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('SKADI_INVALID_TRANSITION');
    const stale = await f.app.inject({ method: 'POST', url: `/api/v1/agent/jobs/${job.id}/ack`, headers: auth(web1), payload: { lease: 'stale' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('SKADI_LEASE_MISMATCH');
  });

  it('answers unknown routes with SKADI_NOT_FOUND', async () => {
    const r = await f.app.inject({ method: 'GET', url: '/api/v1/nothing' });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('SKADI_NOT_FOUND');
  });

  it('holds a poll and answers it when a job is queued', async () => {
    const polling = f.app.inject({ method: 'POST', url: '/api/v1/agent/poll', headers: auth(web2), payload: { max: 1, wait: 5 } });
    await new Promise((r) => setTimeout(r, 50));
    const job = await queue('web-2');
    const r = await polling;
    expect(r.json().jobs[0].id).toBe(job.id);
  });
});

function bodyFor(path: string, lease: string) {
  if (path === 'ack') return { lease };
  if (path === 'output') return { lease, seq: 0, data: 'x' };
  return { lease, exitCode: 0, chunks: 0 };
}
