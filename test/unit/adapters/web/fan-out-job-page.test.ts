import { afterEach, describe, expect, it } from 'vitest';
import type { WebJobDetail, WebJobSummary } from '../../../../adapters/web/wire-types.js';
import { manualClock } from '../../../helpers/manual-clock.js';
import { createFakeJobsApi, fakeAgent, fakeJob } from '../../../helpers/web-fake-jobs.js';
import { startWebServer, type WebTestServer } from '../../../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };
const NOW = new Date('2026-03-01T12:00:00.000Z');

let server: WebTestServer;
afterEach(async () => server?.close());

describe('web job page: a fan-out parent', () => {
  it('shows its selector and options, and lists its children (for the links) with ?parent=', async () => {
    const jobs = createFakeJobsApi([fakeAgent('web-1'), fakeAgent('web-2')]);
    const fanout = { selector: 'role=web', concurrency: 2, maxFailures: 1, targets: ['web-1', 'web-2'], skipped: [{ agent: 'web-3', why: 'offline' as const }], started: 2, stopped: null, reported: 1 };
    jobs.putJob(fakeJob({ id: 'parent000001', agent: '(role=web)', state: 'running', fanout }));
    jobs.putJob(fakeJob({ id: 'child0000001', agent: 'web-1', state: 'succeeded', exitCode: 0, parentId: 'parent000001', createdAt: new Date(NOW.getTime() - 2000) }));
    jobs.putJob(fakeJob({ id: 'child0000002', agent: 'web-2', state: 'running', parentId: 'parent000001', createdAt: new Date(NOW.getTime() - 1000) }));
    jobs.putJob(fakeJob({ id: 'other0000001', agent: 'web-1', state: 'queuing' }));
    server = await startWebServer({ users: [ALICE], listen: false, jobs, clock: manualClock(NOW), options: { offlineAfterMs: 30_000 } });
    const login = await server.app.inject({ method: 'POST', url: '/web/api/login', payload: { user: ALICE.name, token: ALICE.token } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const get = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie } });

    const page = (await get('/web/api/jobs/parent000001')).json() as { job: WebJobDetail };
    expect(page.job.fanout).toEqual({ selector: 'role=web', concurrency: 2, maxFailures: 1, targets: ['web-1', 'web-2'], skipped: [{ agent: 'web-3', reason: 'offline' }], stopped: null });
    const children = (await get('/web/api/jobs?parent=parent000001')).json() as { jobs: WebJobSummary[] };
    expect(children.jobs.map((j) => [j.id, j.agent, j.state])).toEqual([
      ['child0000002', 'web-2', 'running'],
      ['child0000001', 'web-1', 'succeeded'],
    ]);
    // An ordinary job has no fan-out part.
    expect(((await get('/web/api/jobs/other0000001')).json() as { job: WebJobDetail }).job.fanout).toBeNull();
  });
});
