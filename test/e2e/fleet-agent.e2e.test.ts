import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { BIN, eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const AGENT_YAML = `
concurrency: 2
labels: { region: eu }
handlers:
  slow: { argv: [sh, -c, "sleep 2; echo finished"] }
  hang: { argv: [sleep, "60"] }
`;

interface JobJson {
  id: string;
  state: string;
  reason: string | null;
  output: string | null;
  exitCode: number | null;
}

/**
 * Issue 8 with the built processes: `skadi agents --selector`, `skadi watch`, and the agent's
 * clean drain when SIGTERMed in the middle of a job (what systemd's stop does).
 */
describe('fleet: skadi agents, skadi watch, and the agent draining on SIGTERM', () => {
  const cwd = tempDir('skadi-e2e-fleet-');
  const env: Record<string, string> = {
    SKADI_DATABASE_URL: `sqlite:${join(cwd, 'skadi.db')}`,
    SKADI_DATA_DIR: join(cwd, 'data'),
    SKADI_DEMO_AGENT: 'false',
    SKADI_WEB: 'false',
    // Short threshold for the watch test; polls answered every second keep live agents online.
    SKADI_OFFLINE_AFTER: '3s',
    SKADI_POLL_WAIT_MAX: '1s',
    SKADI_TIMER_INTERVAL: '200ms',
  };
  let server: SkadiProcess;
  let agentToken: string;
  let userToken: string;
  const agents: SkadiProcess[] = [];
  const cli = (args: string[]) => runCli([...args, '--server', server.url, '--token', userToken], { cwd });
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' } });
    return (await res.json()) as T;
  };
  const send = (message: string) => api<JobJson>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ agent: 'web-1', message }) });
  const job = (id: string) => api<JobJson>(`/api/v1/jobs/${id}`);
  const online = async () => ((await api<{ status: string }>('/api/v1/agents/web-1')).status === 'online');
  const runAgent = (drain: string) => {
    const a = startAgent({ server: server.url, token: agentToken, configYaml: AGENT_YAML, args: ['--drain', drain] });
    agents.push(a);
    return a;
  };

  beforeAll(async () => {
    const added = await runCli(['agent', 'add', 'web-1', '--label', 'role=web'], { cwd, env });
    expect(added.code, added.stderr).toBe(0);
    agentToken = added.stdout.trim();
    expect((await runCli(['agent', 'add', 'db-1', '--label', 'role=db'], { cwd, env })).code).toBe(0);
    userToken = (await runCli(['token', 'create', 'ops'], { cwd, env })).stdout.trim();
    server = await startServe({ cwd, env });
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await a.kill9();
    await server?.kill9();
  });

  it('lists agents by selector with online/offline and last seen; a bad selector shows where it breaks', async () => {
    runAgent('10');
    await eventually(online, 30_000, 'web-1 online');
    const web = await cli(['agents', '--selector', 'role in (web,db),region=eu']);
    expect(web.code, web.stderr).toBe(EXIT.ok);
    // region=eu is the label the agent reports itself, merged over the admin's.
    expect(web.stdout).toMatch(/^NAME\s+STATUS\s+LAST SEEN\s+VERSION\s+LABELS$/m);
    expect(web.stdout).toMatch(/^web-1\s+online\s+now\s+\S+\s+.*role=web/m);
    expect(web.stdout).not.toContain('db-1');
    const all = JSON.parse((await cli(['agents', '--json'])).stdout) as Array<{ name: string; status: string; lastSeenAt: string | null }>;
    expect(all.map((a) => [a.name, a.status, a.lastSeenAt === null])).toEqual([
      ['db-1', 'offline', true],
      ['web-1', 'online', false],
    ]);
    const bad = await cli(['agents', '--selector', 'role in (web']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('error SKADI_BAD_REQUEST: selector "role in (web": the list is not closed at position 13; close it: role in (web)');
    expect(bad.stderr).toContain('  role in (web\n              ^');
  }, 60_000);

  it('`skadi agent label` changes only the admin labels, never copying what the agent reports', async () => {
    const labelled = await runCli(['agent', 'label', 'web-1', 'tier=gold', 'region=us'], { cwd, env });
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.stdout.trim()).toBe('role=web,tier=gold,region=us');
    // The agent's own region=eu still wins on read, and the admin is told so.
    expect(labelled.stderr).toContain('web-1 reports region=eu from its own config');
    const removed = await runCli(['agent', 'label', 'web-1', 'region-', 'tier-'], { cwd, env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout.trim()).toBe('role=web');
    const listed = JSON.parse((await cli(['agents', '--json'])).stdout) as Array<{ name: string; labels: Record<string, string> }>;
    expect(listed.find((a) => a.name === 'web-1')!.labels).toMatchObject({ role: 'web', region: 'eu' });
    const ghost = await runCli(['agent', 'label', 'ghost-1', 'a=b'], { cwd, env });
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain('no agent named ghost-1');
  }, 60_000);

  it('finishes and reports a running job when SIGTERMed, then exits 0; `skadi watch` shows it going offline', async () => {
    const watch = spawn(process.execPath, [BIN, 'watch', '--selector', 'role=web', '--server', server.url, '--token', userToken], { cwd, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watch.stdout.on('data', (d) => (watched += d));
    watch.stderr.on('data', (d) => (watched += d));
    const watchExit = new Promise<number | null>((r) => watch.on('exit', (code) => r(code)));
    await eventually(() => watched.includes('watching'), 20_000, 'skadi watch connected');

    const agent = agents[0]!;
    const sent = await send('slow');
    await eventually(async () => (await job(sent.id)).state === 'running', 20_000, 'job running');
    const code = await agent.stop(30_000);
    expect(code, agent.output()).toBe(0);
    const done = await job(sent.id);
    expect(done, agent.output()).toMatchObject({ state: 'succeeded', exitCode: 0, output: 'finished\n' });
    // It said what it was doing, and every line about the job carries the job id and the agent.
    expect(agent.output()).toMatch(/"msg":"stopping: waiting for running jobs"/);
    const jobLines = agent.output().split('\n').filter((l) => l.includes(sent.id));
    expect(jobLines.length).toBeGreaterThan(1);
    for (const line of jobLines) expect(JSON.parse(line)).toMatchObject({ jobId: sent.id, agent: 'web-1' });

    await eventually(() => /agent web-1 is offline \(last seen [^)]*version /.test(watched), 20_000, 'watch prints web-1 offline');
    watch.kill('SIGINT');
    expect(await watchExit).toBe(0);
  }, 90_000);

  it('kills and reports a job that outlasts --drain, so nothing is left running on the server', async () => {
    // The stopped agent's last check-in must have aged out first, or "online" would be its, not the new one's.
    await eventually(async () => !(await online()), 20_000, 'web-1 offline');
    const agent = runAgent('1');
    await eventually(online, 30_000, 'web-1 online again');
    const sent = await send('hang');
    await eventually(async () => (await job(sent.id)).state === 'running', 20_000, 'job running');
    const t0 = Date.now();
    expect(await agent.stop(30_000), agent.output()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const done = await job(sent.id);
    expect(done, agent.output()).toMatchObject({ state: 'failed', reason: 'cancelled: the agent is shutting down' });
    expect(agent.output()).toMatch(/"msg":"stopping: killing jobs still running"/);
  }, 90_000);
});
