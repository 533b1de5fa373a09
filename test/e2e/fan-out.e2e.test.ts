import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createTokenService } from '../../src/auth/token-service.js';
import { systemClock } from '../../src/core/clock.js';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';
import { openWebChatTab, type WebChatTab } from '../helpers/serve-web-client.js';

interface ChildJson {
  id: string;
  agent: string;
  state: string;
  exitCode: number | null;
}
interface ParentJson {
  id: string;
  kind?: string;
  state: string;
  reason: string | null;
  output: string | null;
  children: ChildJson[];
  skipped: Array<{ agent: string; reason: string }>;
  stopped: string | null;
}
interface JobTimes {
  id: string;
  agent: string;
  state: string;
  exitCode: number | null;
  createdAt: string;
  finishedAt: string | null;
}

const AGENTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
/** web-2's handler fails; web-5 is never started (offline). */
const FAILING = 'web-2';
const OFFLINE = 'web-5';

/** A port nobody listens on now: the server comes back on the same address after its crash. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Most intervals [start, end) open at once; an end at the same instant as a start closes first. */
function mostAtOnce(intervals: Array<[number, number]>): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as Array<[number, number]>).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of points) most = Math.max(most, (open += d));
  return most;
}

/**
 * Issue 8, fan-out, with real processes: one `skadi serve` and four `skadi agent` processes of
 * five agents labelled role=web (web-5 never runs, so it is offline; web-2's handler exits 3).
 * Sent from the web chat, the CLI and the user API: the aggregated reply's counts, the
 * concurrency limit (from the jobs' own timestamps and from the handlers' start/end marks),
 * and stop-after-N.
 */
describe('fan-out: <selector> <message> to five agents (one offline, one failing)', () => {
  const cwd = tempDir('skadi-e2e-fanout-');
  const marks = join(cwd, 'marks.log');
  writeFileSync(marks, '');
  const env: Record<string, string> = {
    SKADI_DATABASE_URL: `sqlite:${join(cwd, 'skadi.db')}`,
    SKADI_DATA_DIR: join(cwd, 'data'),
    SKADI_DEMO_AGENT: 'false',
    // Long enough that agents reconnecting to the restarted server (with backoff) stay online; web-5 never checked in at all.
    SKADI_OFFLINE_AFTER: '60s',
    SKADI_POLL_WAIT_MAX: '5s',
    SKADI_TIMER_INTERVAL: '200ms',
  };
  let server: SkadiProcess;
  let port: number;
  let userToken: string;
  let tab: WebChatTab;
  const agents: SkadiProcess[] = [];
  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const job = async (id: string) => (await api<JobTimes>(`/api/v1/jobs/${id}`)).body;
  /** Children as the jobs API shows them, with timestamps, and the handlers' own start/end marks. */
  async function timing(parent: ParentJson) {
    const children = await Promise.all(parent.children.map((c) => job(c.id)));
    const fromJobs = children.map((c) => [Date.parse(c.createdAt), Date.parse(c.finishedAt!)] as [number, number]);
    const lines = readFileSync(marks, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
    const ran = parent.children.map((c) => c.id).filter((id) => lines.some((l) => l[1] === id));
    const fromHandlers = ran.map((id) => [Number(lines.find((l) => l[0] === 'start' && l[1] === id)![2]) / 1e6, Number(lines.find((l) => l[0] === 'end' && l[1] === id)![2]) / 1e6] as [number, number]);
    return { fromJobs, fromHandlers, ran };
  }

  beforeAll(async () => {
    // The agents and the API token are made as `skadi agent add` / `skadi token create` make them,
    // in this process: six more CLI processes would double the suite's time on a busy machine.
    const tokens: Record<string, string> = {};
    const stores = await createTypeormStores({ url: env.SKADI_DATABASE_URL!, migrate: true });
    try {
      const issuer = createTokenService({}, { tokens: stores.tokens, clock: systemClock });
      for (const name of AGENTS) {
        await stores.agents.create({ name, labels: { role: 'web' }, createdAt: new Date() });
        tokens[name] = (await issuer.create('agent', name, `agent ${name}`)).token;
      }
      userToken = (await issuer.create('user', 'api:ops', 'ops')).token;
    } finally {
      await stores.close();
    }
    port = await freePort();
    server = await startServe({ cwd, env, args: ['--port', String(port)] });
    for (const name of AGENTS.filter((n) => n !== OFFLINE)) {
      const exit = name === FAILING ? 3 : 0;
      const script = `echo "start $SKADI_JOB_ID $(date +%s%N)" >> ${marks}; sleep 0.5; echo "end $SKADI_JOB_ID $(date +%s%N)" >> ${marks}; echo "ran on ${name}"; exit ${exit}`;
      agents.push(startAgent({ server: server.url, token: tokens[name]!, configYaml: `concurrency: 4\nhandlers:\n  work: { argv: [sh, -c, ${JSON.stringify(script)}] }\n` }));
    }
    await eventually(async () => {
      const listed = (await api<{ agents: Array<{ name: string; online: boolean }> }>('/api/v1/agents?selector=role%3Dweb')).body.agents;
      return listed.filter((a) => a.online).length === 4;
    }, 30_000, 'four agents online');
    const adminToken = readFileSync(join(cwd, 'data', 'web-admin-token'), 'utf8').trim();
    tab = await openWebChatTab(server.url, 'admin', adminToken);
  }, 90_000);

  afterAll(async () => {
    tab?.close();
    for (const a of agents) await a.kill9();
    await server?.kill9();
  });

  it('web chat: one reply, edited as children finish, ends "3 succeeded, 1 failed, 0 expired" with web-5 skipped; at most 2 in flight', async () => {
    await tab.post('role=web --concurrency 2 work');
    const first = await tab.waitForBot((m) => /^Fan-out \w+ \(role=web\)/.test(m.text), 20_000);
    const done = await tab.waitForBot((m) => m.id === first.id && /failed: 4\/4 done/.test(m.text), 30_000);
    expect(done.text).toContain('4/4 done — 3 succeeded, 1 failed, 0 expired.');
    expect(done.text).toContain(`Failed or expired: ${FAILING}.`);
    expect(done.text).toContain(`Skipped: ${OFFLINE} (offline, skipped).`);
    expect(done.text).toContain(`status ${done.jobId}`);
    expect(done.status).toBe('failed');
    // One message, edited in place: no message per child.
    const bot = [...tab.botMessages().values()].filter((m) => m.threadId === first.threadId);
    expect(bot).toHaveLength(1);
    const edits = tab.events().filter((e) => e.event === 'message.edit' && e.message.id === first.id).map((e) => e.message.text);
    expect(edits.some((t) => /[123]\/4 done/.test(t))).toBe(true);

    const parent = (await api<ParentJson>(`/api/v1/jobs/${done.jobId}`)).body;
    expect(parent).toMatchObject({ kind: 'fanout', state: 'failed', skipped: [{ agent: OFFLINE, reason: 'offline' }] });
    expect(parent.children.map((c) => [c.agent, c.state, c.exitCode])).toEqual([
      ['web-1', 'succeeded', 0],
      ['web-2', 'failed', 3],
      ['web-3', 'succeeded', 0],
      ['web-4', 'succeeded', 0],
    ]);
    const { fromJobs, fromHandlers, ran } = await timing(parent);
    expect(ran).toHaveLength(4);
    expect(mostAtOnce(fromJobs)).toBe(2);
    expect(mostAtOnce(fromHandlers)).toBeLessThanOrEqual(2);

    // Per-agent output on demand: `status <parent>` lists each child; `status <child>` shows its output.
    await tab.post(`status ${done.jobId}`);
    const status = await tab.waitForBot((m) => m.title === `Fan-out ${done.jobId}`, 10_000);
    expect(status.text).toContain('3 succeeded, 1 failed, 0 expired');
    const failedChild = parent.children.find((c) => c.agent === FAILING)!;
    await tab.post(`status ${failedChild.id}`);
    const childStatus = await tab.waitForBot((m) => m.jobId === failedChild.id && m.text.includes('is failed'), 10_000);
    expect(JSON.stringify(childStatus)).toContain(`ran on ${FAILING}`);
  }, 60_000);

  it('skadi send --selector --concurrency 1 --max-failures 1: stops after web-2 fails, exit 3', async () => {
    const sent = await runCli(['send', '--selector', 'role=web', '--concurrency', '1', '--max-failures', '1', '--wait', '60', '--server', server.url, '--token', userToken, 'work'], { cwd });
    expect(sent.code, sent.stderr).toBe(EXIT.jobFailed);
    expect(sent.stderr).toMatch(/fan-out \w+ failed: 1 succeeded, 1 failed, 0 expired \(2 agents\); stopped after 1 failure/);
    expect(sent.stdout).toMatch(/^web-1\s+succeeded\s+exit 0\s+job \w+$/m);
    expect(sent.stdout).toMatch(/^web-2\s+failed\s+exit 3\s+job \w+$/m);
    expect(sent.stdout).toMatch(/^web-3\s+not started$/m);
    expect(sent.stdout).toMatch(/^web-5\s+offline, skipped$/m);
    const id = /job (\w+)$/m.exec(sent.stdout)![1]!;
    const parentId = (await job(id)) as unknown as { parentId: string };
    const parent = (await api<ParentJson>(`/api/v1/jobs/${parentId.parentId}`)).body;
    expect(parent.stopped).toBe('max-failures');
    expect(parent.children.map((c) => c.agent)).toEqual(['web-1', 'web-2']);
    const { fromJobs } = await timing(parent);
    expect(mostAtOnce(fromJobs)).toBe(1);
  }, 60_000);

  it('user API: POST {selector} answers the parent with kind fanout and its children; ?wait waits for the parent; no target is an error', async () => {
    const created = await api<ParentJson & { children: ChildJson[] }>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ selector: 'web-*,!nothing', message: 'work', concurrency: 4 }) });
    expect(created.status).toBe(201);
    expect(created.body.kind).toBe('fanout');
    expect(created.body.children.map((c) => c.agent)).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    for (const c of created.body.children) expect(c).toMatchObject({ id: expect.any(String), state: expect.stringMatching(/queuing|sent|running/) });
    const waited = (await api<ParentJson>(`/api/v1/jobs/${created.body.id}?wait=30`)).body;
    expect(waited.state).toBe('failed');
    expect(waited.children.map((c) => c.exitCode)).toEqual([0, 3, 0, 0]);
    const { fromJobs } = await timing(waited);
    expect(mostAtOnce(fromJobs)).toBe(4);
    const none = await api<{ code: string }>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ selector: 'role=db', message: 'work' }) });
    expect([none.status, none.body.code]).toEqual([404, 'SKADI_AGENT_NOT_FOUND']);
    const offline = await api<{ code: string; details: { skipped: unknown[] } }>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ selector: OFFLINE + ',role=web', message: 'work' }) });
    expect([offline.status, offline.body.code, offline.body.details.skipped]).toEqual([409, 'SKADI_AGENT_OFFLINE', [{ agent: OFFLINE, reason: 'offline' }]]);
    const both = await api<{ code: string }>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ selector: 'role=web', agent: 'web-1', message: 'work' }) });
    expect([both.status, both.body.code]).toEqual([400, 'SKADI_BAD_REQUEST']);
  }, 60_000);
  it('a server killed in the middle: the restarted one finishes the fan-out, every agent ran once, at most 2 at a time', async () => {
    const created = (await api<ParentJson>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ selector: 'role=web', message: 'work', concurrency: 2 }) })).body;
    const parent = async () => (await api<ParentJson>(`/api/v1/jobs/${created.id}`)).body;
    await eventually(async () => (await parent()).children.some((c) => c.state === 'running'), 20_000, 'a child running');
    await server.kill9();
    server = await startServe({ cwd, env, args: ['--port', String(port)] });
    const done = await eventually(async () => {
      const now = await parent();
      return ['succeeded', 'failed', 'expired', 'cancelled'].includes(now.state) ? now : null;
    }, 45_000, 'the fan-out to end after the restart');
    expect(done.state).toBe('failed');
    expect(done.children.map((c) => [c.agent, c.state, c.exitCode])).toEqual([
      ['web-1', 'succeeded', 0],
      ['web-2', 'failed', 3],
      ['web-3', 'succeeded', 0],
      ['web-4', 'succeeded', 0],
    ]);
    const starts = readFileSync(marks, 'utf8').split('\n').filter((l) => l.startsWith('start '));
    for (const child of done.children) expect(starts.filter((l) => l.split(' ')[1] === child.id)).toHaveLength(1);
    const { fromJobs } = await timing(done);
    expect(mostAtOnce(fromJobs)).toBe(2);
  }, 90_000);
});
