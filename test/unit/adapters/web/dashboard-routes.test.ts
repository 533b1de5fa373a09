import { afterEach, describe, expect, it } from 'vitest';
import type { WebAgentSummary, WebJobDetail, WebJobSummary } from '../../../../adapters/web/wire-types.js';
import { manualClock } from '../../../helpers/manual-clock.js';
import { createFakeJobsApi, fakeAgent, fakeJob, type FakeJobsApi } from '../../../helpers/web-fake-jobs.js';
import { startWebServer, type WebTestServer } from '../../../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };
const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

let server: WebTestServer;
afterEach(async () => server?.close());

/** A small fleet: two web agents (one silent for 40 s) and a db agent, with jobs in every state. */
function fleet(): FakeJobsApi {
  const jobs = createFakeJobsApi([
    fakeAgent('web-1', { labels: { role: 'web', region: 'eu' }, lastSeenAt: ago(1000) }),
    fakeAgent('web-2', { labels: { role: 'web', region: 'us' }, lastSeenAt: ago(40_000) }),
    fakeAgent('db-1', { labels: { role: 'db' }, status: 'offline', lastSeenAt: ago(600_000) }),
  ]);
  const add = (id: string, agent: string, state: WebJobSummary['state'], minutesAgo: number, requester = 'web:alice') =>
    jobs.putJob(fakeJob({ id, agent, state, createdAt: ago(minutesAgo * 60_000), requester: { identity: requester } }));
  add('j1', 'web-1', 'succeeded', 9);
  add('j2', 'web-2', 'failed', 8, 'api:ci');
  add('j3', 'db-1', 'expired', 7);
  add('j4', 'web-1', 'running', 6);
  add('j5', 'web-1', 'queuing', 5, 'api:ci');
  add('j6', 'web-2', 'sent', 4);
  return jobs;
}

async function setup(jobs = fleet(), offlineAfterMs = 30_000) {
  server = await startWebServer({ users: [ALICE], listen: false, jobs, clock: manualClock(NOW), options: { offlineAfterMs } });
  const res = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: ALICE.name, token: ALICE.token } });
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const get = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie } });
  return { jobs, get };
}

describe('web dashboard routes', () => {
  it('shows an agent online only within the server offline threshold, with its running and queued jobs', async () => {
    const { get } = await setup();
    const { agents } = (await get('/web/api/agents')).json() as { agents: WebAgentSummary[] };
    expect(agents.map((a) => [a.name, a.status, a.running, a.queued])).toEqual([
      ['db-1', 'offline', 0, 0],
      // Still marked online in the store, but silent for longer than the threshold (30 s here).
      ['web-1', 'online', 1, 1],
      ['web-2', 'offline', 1, 0],
    ]);
    expect(agents[1]).toMatchObject({ version: '0.1.0', host: 'web-1.example.test', os: 'linux', labels: { role: 'web', region: 'eu' }, revoked: false });
  });

  it('narrows the agents by selector, and answers a bad selector with its position and a hint', async () => {
    const { get } = await setup();
    const names = async (selector: string) => ((await get(`/web/api/agents?selector=${encodeURIComponent(selector)}`)).json() as { agents: WebAgentSummary[] }).agents.map((a) => a.name);
    expect(await names('role=web,region=us')).toEqual(['web-2']);
    expect(await names('role in (web,db)')).toEqual(['db-1', 'web-1', 'web-2']);
    expect(await names('web-*')).toEqual(['web-1', 'web-2']);
    expect(await names('!region')).toEqual(['db-1']);
    const bad = await get(`/web/api/agents?selector=${encodeURIComponent('role in (web')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ code: 'SKADI_BAD_REQUEST', message: 'selector "role in (web": the list is not closed at position 13; close it: role in (web)' });
  });

  it('filters the job list by state, agent name, agent selector and requester, newest first', async () => {
    const { get } = await setup();
    const ids = async (query: string) => {
      const res = await get(`/web/api/jobs?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { jobs: WebJobSummary[] }).jobs.map((j) => j.id);
    };
    expect(await ids('')).toEqual(['j6', 'j5', 'j4', 'j3', 'j2', 'j1']);
    expect(await ids('state=queuing,sent,running')).toEqual(['j6', 'j5', 'j4']);
    expect(await ids('state=failed,expired')).toEqual(['j3', 'j2']);
    expect(await ids('agent=web-1')).toEqual(['j5', 'j4', 'j1']);
    expect(await ids(`agent=${encodeURIComponent('role=web')}&state=succeeded,failed`)).toEqual(['j2', 'j1']);
    expect(await ids(`agent=${encodeURIComponent('region=us')}`)).toEqual(['j6', 'j2']);
    expect(await ids(`agent=${encodeURIComponent('role=none')}`)).toEqual([]);
    expect(await ids('requester=api:ci')).toEqual(['j5', 'j2']);
  });

  it('pages the job list with `next`', async () => {
    const { get } = await setup();
    const first = (await get('/web/api/jobs?limit=4')).json() as { jobs: WebJobSummary[]; next: string | null };
    expect(first.jobs.map((j) => j.id)).toEqual(['j6', 'j5', 'j4', 'j3']);
    expect(first.next).toBe(ago(7 * 60_000).toISOString());
    const second = (await get(`/web/api/jobs?limit=4&before=${encodeURIComponent(first.next!)}`)).json() as { jobs: WebJobSummary[]; next: string | null };
    expect(second).toMatchObject({ jobs: [{ id: 'j2' }, { id: 'j1' }], next: null });
    // By selector too: one query per agent, merged and cut to the page.
    const merged = (await get(`/web/api/jobs?limit=2&agent=${encodeURIComponent('web-*')}`)).json() as { jobs: WebJobSummary[]; next: string | null };
    expect(merged.jobs.map((j) => j.id)).toEqual(['j6', 'j5']);
    expect(merged.next).toBe(ago(5 * 60_000).toISOString());
  });

  it('refuses bad filters with SKADI_BAD_REQUEST', async () => {
    const { get, jobs } = await setup();
    for (const q of ['state=done', 'state=failed,', 'before=yesterday', `agent=${encodeURIComponent('role in (web')}`, 'limit=0']) {
      const res = await get(`/web/api/jobs?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code, q).toBe('SKADI_BAD_REQUEST');
    }
    for (let i = 0; i < 51; i++) jobs.agents.push(fakeAgent(`node-${i}`, { labels: { role: 'node' } }));
    const wide = await get(`/web/api/jobs?agent=${encodeURIComponent('role=node')}`);
    expect(wide.statusCode).toBe(400);
    expect(wide.json().message).toMatch(/matches 51 agents; the job list filters by at most 50/);
  });

  it("shows one job's detail with its output so far, and 404 for an unknown job", async () => {
    const { get, jobs } = await setup();
    jobs.outputs.set('j4', 'line 1\nline 2\n');
    jobs.putJob({ id: 'j1', agent: 'web-1', output: 'done\n', exitCode: 0, message: 'x'.repeat(300) });
    const running = (await get('/web/api/jobs/j4')).json() as { job: WebJobDetail; output: string };
    expect(running.output).toBe('line 1\nline 2\n');
    expect(running.job).toMatchObject({ id: 'j4', agent: 'web-1', state: 'running', attempt: 1, timeoutMs: 600_000, outputTruncated: false, runningAt: null, parentId: null });
    const done = (await get('/web/api/jobs/j1')).json() as { job: WebJobDetail; output: string };
    expect(done.output).toBe('done\n');
    // The page gets the whole message; the list gets it shortened.
    expect(done.job.message).toHaveLength(300);
    expect(((await get('/web/api/jobs?agent=web-1')).json() as { jobs: WebJobSummary[] }).jobs.find((j) => j.id === 'j1')!.message).toHaveLength(200);

    const missing = await get('/web/api/jobs/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 'SKADI_JOB_NOT_FOUND', message: 'no job nope' });
    expect((await get('/web/api/jobs/bad%20id')).statusCode).toBe(400);
    expect((await get('/web/api/jobs/nope/events')).statusCode).toBe(404);
    expect((await server.app.inject({ method: 'GET', url: '/web/api/jobs/j4' })).statusCode).toBe(401);
    expect((await server.app.inject({ method: 'GET', url: '/web/api/jobs/j4/events' })).statusCode).toBe(401);
  });

  it('serves the dashboard files with the page', async () => {
    await setup();
    for (const file of ['dashboard.css', 'dashboard-view.js', 'jobs-view.js', 'job-view.js', 'charts.js']) {
      const res = await server.app.inject({ method: 'GET', url: `/web/static/${file}` });
      expect(res.statusCode, file).toBe(200);
    }
    const page = (await server.app.inject({ method: 'GET', url: '/' })).body;
    for (const id of ['dashboard-view', 'jobs-view', 'job-view', 'fleet', 'chart-jobs', 'chart-latency', 'job-output']) expect(page).toContain(`id="${id}"`);
  });
});
