import { afterEach, describe, expect, it } from 'vitest';
import type { WebAgentSummary, WebJobDetail, WebOutputChunk, WebStats } from '../../../../adapters/web/wire-types.js';
import { createInProcessBus } from '../../../../src/bus/index.js';
import type { EventBus, JobState } from '../../../../src/core/index.js';
import { createFakeJobsApi, fakeAgent, fakeJob, type FakeJobsApi } from '../../../helpers/web-fake-jobs.js';
import { openSse, type SseClient, type SseEvent } from '../../../helpers/web-sse-client.js';
import { startWebServer, type WebTestServer } from '../../../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };

let server: WebTestServer;
let bus: EventBus | undefined;
const clients: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  await bus?.close();
  bus = undefined;
});

async function open(path: string): Promise<SseClient> {
  const client = await openSse(`${server.url}${path}`, { cookie: await server.login('alice', ALICE.token) });
  clients.push(client);
  return client;
}

const data = <T>(e: SseEvent) => JSON.parse(e.data) as T;

/** What a page would show after applying every `output` event, as job-view.js does. */
function shownOutput(client: SseClient): string {
  let text = '';
  for (const e of client.events.filter((x) => x.event === 'output')) {
    const chunk = data<WebOutputChunk>(e);
    text = chunk.reset || chunk.offset !== text.length ? chunk.text : text + chunk.text;
  }
  return text;
}

describe('web dashboard streams', () => {
  it("streams a running job's output as it grows, then the final state and `end`", async () => {
    const jobs = createFakeJobsApi([fakeAgent('web-1')]);
    jobs.putJob(fakeJob({ id: 'job1', agent: 'web-1', state: 'running', message: 'deploy' }));
    jobs.outputs.set('job1', 'step 1\n');
    server = await startWebServer({ users: [ALICE], jobs, options: { outputPollMs: 30 } });
    const page = await open('/web/api/jobs/job1/events');
    expect(data<WebJobDetail>(await page.waitFor((e) => e.event === 'job'))).toMatchObject({ id: 'job1', state: 'running', message: 'deploy' });
    expect(data<WebOutputChunk>(await page.waitFor((e) => e.event === 'output'))).toEqual({ offset: 0, text: 'step 1\n' });

    jobs.outputs.set('job1', 'step 1\nstep 2\n');
    expect(data<WebOutputChunk>(await page.waitFor((e) => e.event === 'output' && data<WebOutputChunk>(e).offset > 0))).toEqual({ offset: 7, text: 'step 2\n' });

    // A second page on the same job gets everything so far, then the same increments; one watch serves both.
    const other = await open('/web/api/jobs/job1/events');
    await other.waitFor((e) => e.event === 'output');
    expect(shownOutput(other)).toBe('step 1\nstep 2\n');

    jobs.putJob({ id: 'job1', agent: 'web-1', state: 'succeeded', exitCode: 0, output: 'step 1\nstep 2\ndone\n', finishedAt: new Date() });
    for (const client of [page, other]) {
      await client.waitFor((e) => e.event === 'end');
      expect(shownOutput(client)).toBe('step 1\nstep 2\ndone\n');
      expect(data<WebJobDetail>(client.events.filter((e) => e.event === 'job').at(-1)!)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    }
    expect(page.events.map((e) => e.event).filter((e) => e !== 'output')).toEqual(['job', 'job', 'end']);
  });

  it('replaces the output when it changed other than by growing, and ends at once for a finished job', async () => {
    const jobs = createFakeJobsApi([fakeAgent('web-1')]);
    jobs.putJob(fakeJob({ id: 'job1', agent: 'web-1', state: 'running' }));
    jobs.outputs.set('job1', 'abc');
    server = await startWebServer({ users: [ALICE], jobs, options: { outputPollMs: 30 } });
    const page = await open('/web/api/jobs/job1/events');
    await page.waitFor((e) => e.event === 'output');
    jobs.outputs.set('job1', 'xbc and more');
    expect(data<WebOutputChunk>(await page.waitFor((e) => e.event === 'output' && data<WebOutputChunk>(e).reset === true))).toEqual({ offset: 0, text: 'xbc and more', reset: true });

    jobs.putJob(fakeJob({ id: 'job2', agent: 'web-1', state: 'failed', output: '<script>alert(1)</script>\n', exitCode: 2 }));
    const done = await open('/web/api/jobs/job2/events');
    await done.waitFor((e) => e.event === 'end');
    // Output is data, sent as JSON text; the page puts it in as text.
    expect(done.events.map((e) => e.event)).toEqual(['job', 'output', 'end']);
    expect(shownOutput(done)).toBe('<script>alert(1)</script>\n');
  });

  it('sends the charts on connect and again when jobs change state', async () => {
    bus = createInProcessBus();
    const jobs = createFakeJobsApi([fakeAgent('web-1')]);
    const t = Date.now();
    jobs.putJob(fakeJob({ id: 'old', agent: 'web-1', state: 'succeeded', createdAt: new Date(t - 5000), sentAt: new Date(t - 4900), finishedAt: new Date(t - 4000) }));
    server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 60_000 } });
    const live = await open('/web/api/live');
    const first = data<WebStats>(await live.waitFor((e) => e.event === 'stats'));
    expect(first.totals).toEqual({ succeeded: 1, failed: 0, expired: 0, cancelled: 0, latency: { count: 1, p50: 100, p95: 100, max: 100 } });

    const publish = async (to: JobState, from: JobState | null, version: number) => {
      await bus!.publish('EventJobStatus', { jobId: 'new', agent: 'web-1', from, to, reason: null, at: new Date().toISOString(), version, attempt: 1, platform: null }, `new:${version}`);
    };
    jobs.putJob(fakeJob({ id: 'new', agent: 'web-1', state: 'queuing' }));
    await publish('queuing', null, 1);
    await publish('sent', 'queuing', 2);
    await publish('failed', 'sent', 3);
    const after = await live.waitFor((e) => e.event === 'stats' && data<WebStats>(e).totals.failed === 1);
    expect(data<WebStats>(after).totals).toMatchObject({ succeeded: 1, failed: 1, latency: { count: 2 } });
  });

  it('pushes the agents at once when an agent goes offline (EventAgentStatus), not at the next poll', async () => {
    bus = createInProcessBus();
    const jobs = createFakeJobsApi([fakeAgent('web-1')]);
    server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 60_000 } });
    const live = await open('/web/api/live');
    expect(data<WebAgentSummary[]>(await live.waitFor((e) => e.event === 'agents'))[0]).toMatchObject({ name: 'web-1', status: 'online' });
    const lastSeenAt = new Date(Date.now() - 200_000);
    jobs.agents = [fakeAgent('web-1', { status: 'offline', lastSeenAt })];
    const started = Date.now();
    await bus.publish('EventAgentStatus', { agent: 'web-1', from: 'online', to: 'offline', at: new Date().toISOString(), lastSeenAt: lastSeenAt.toISOString(), version: '0.1.0' }, 'agent:web-1:1');
    const pushed = await live.waitFor((e) => e.event === 'agents' && data<WebAgentSummary[]>(e)[0]!.status === 'offline', 5000);
    expect(data<WebAgentSummary[]>(pushed)[0]).toMatchObject({ name: 'web-1', status: 'offline', lastSeenAt: lastSeenAt.toISOString() });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('counts running and queued jobs per agent as jobs move', async () => {
    bus = createInProcessBus();
    const jobs: FakeJobsApi = createFakeJobsApi([fakeAgent('web-1')]);
    server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 60_000 } });
    const live = await open('/web/api/live');
    await live.waitFor((e) => e.event === 'agents');
    jobs.putJob(fakeJob({ id: 'r1', agent: 'web-1', state: 'running' }));
    await bus.publish('EventJobStatus', { jobId: 'r1', agent: 'web-1', from: 'sent', to: 'running', reason: null, at: new Date().toISOString(), version: 3, attempt: 1, platform: null }, 'r1:3');
    const busy = await live.waitFor((e) => e.event === 'agents' && data<WebAgentSummary[]>(e)[0]!.running === 1);
    expect(data<WebAgentSummary[]>(busy)[0]).toMatchObject({ running: 1, queued: 0 });
  });
});
