import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, login, openChatPage, type ChatPage } from '../helpers/web-chat-page.js';
import { dashboardCharts, fleetRows, jobRows, openView, screenshotView } from '../helpers/web-dashboard-page.js';
import { eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const SCREENSHOT = 'test-results/dashboard.png';
const JOB_SCREENSHOT = 'test-results/dashboard-job.png';
const JOBS_SCREENSHOT = 'test-results/dashboard-jobs.png';
const OFFLINE_AFTER_MS = 3000;

/** An agent's own config: it pins the server's job-signing key, as an operator would set it up. */
const agentYaml = (name: string, region: string, serverPublicKey: string) => `
name: ${name}
serverPublicKey: "${serverPublicKey}"
concurrency: 2
labels: { region: ${region} }
handlers:
  echo: { argv: [echo, "{args}"] }
  fail: { argv: [sh, -c, "echo 'disk check failed' >&2; exit 3"] }
  ticks: { argv: [sh, -c, "for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 0.4; done"] }
`;

interface JobJson {
  id: string;
  state: string;
}

/**
 * Issue 8's dashboard with the built processes: `skadi serve` (SQLite, short offline threshold)
 * and two real `skadi agent`s, watched in headless Chromium. Jobs run through the user API; the
 * page shows them in the list, streams one's output while it runs, charts them, and shows an
 * agent going offline when its process stops, all without a reload.
 */
describe('dashboard in a browser: the fleet live, jobs, output, charts', () => {
  const cwd = tempDir('skadi-e2e-dashboard-');
  const env: Record<string, string> = {
    SKADI_DATABASE_URL: `sqlite:${join(cwd, 'skadi.db')}`,
    SKADI_DATA_DIR: join(cwd, 'data'),
    SKADI_DEMO_AGENT: 'false',
    SKADI_NODE_ID: 'dashboard-e2e',
    SKADI_OFFLINE_AFTER: `${OFFLINE_AFTER_MS / 1000}s`,
    SKADI_TIMER_INTERVAL: '200ms',
    // Polls answered every second keep the running agents checked in well within the threshold.
    SKADI_POLL_WAIT_MAX: '1s',
  };
  let server: SkadiProcess;
  const agents = new Map<string, SkadiProcess>();
  let userToken: string;
  let browser: Browser;
  let chat: ChatPage;
  let page: Page;
  const jobIds: Record<string, string> = {};

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' } });
    return (await res.json()) as T;
  };
  const send = (agent: string, message: string) => api<JobJson>('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ agent, message }) });
  const jobState = async (id: string) => (await api<JobJson>(`/api/v1/jobs/${id}`)).state;
  const agentStatus = async (name: string) => (await api<{ status: string }>(`/api/v1/agents/${name}`)).status;

  beforeAll(async () => {
    const add = async (name: string, role: string) => {
      const added = await runCli(['agent', 'add', name, '--label', `role=${role}`], { cwd, env });
      expect(added.code, added.stderr).toBe(0);
      return added.stdout.trim();
    };
    // The first command creates the schema; the others can then run together.
    const web1 = await add('web-1', 'web');
    const [web2, , token] = await Promise.all([add('web-2', 'web'), add('db-1', 'db'), runCli(['token', 'create', 'ops'], { cwd, env })]);
    expect(token.code, token.stderr).toBe(0);
    userToken = token.stdout.trim();

    server = await startServe({ cwd, env });
    const keys = await runCli(['keys', 'show'], { cwd, env });
    const serverKey = /^serverPublicKey: (\S+)$/m.exec(keys.stdout)?.[1];
    expect(serverKey, `${keys.stdout}${keys.stderr}`).toBeDefined();
    agents.set('web-1', startAgent({ server: server.url, token: web1, configYaml: agentYaml('web-1', 'eu', serverKey!) }));
    agents.set('web-2', startAgent({ server: server.url, token: web2, configYaml: agentYaml('web-2', 'us', serverKey!) }));
    for (const name of agents.keys()) await eventually(async () => (await agentStatus(name)) === 'online', 30_000, `${name} online`);

    browser = await launchChromium();
    chat = await openChatPage(browser, server.url);
    page = chat.page;
    const adminToken = readFileSync(join(cwd, 'data', 'web-admin-token'), 'utf8').trim();
    await login(page, 'admin', adminToken);
    // Set once: if the page reloaded, it would be gone.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  }, 150_000);

  afterAll(async () => {
    await chat?.context.close();
    await browser?.close();
    for (const a of agents.values()) await a.kill9();
    await server?.kill9();
  });

  it('lists the jobs with their states, and a job page streams the output while the job runs', async () => {
    const echo = await send('web-1', 'echo hello from web-1');
    const fail = await send('web-2', 'fail');
    // For an offline agent the API answers SKADI_AGENT_OFFLINE; the job is stored, expired.
    const refused = (await send('db-1', 'echo never runs')) as unknown as { code: string; message: string };
    expect(refused.code).toBe('SKADI_AGENT_OFFLINE');
    const offline = { id: /job (\S+) expired/.exec(refused.message)![1]!, state: 'expired' };
    Object.assign(jobIds, { echo: echo.id, fail: fail.id, offline: offline.id });

    await openView(page, '#/jobs');
    await expect.poll(async () => Object.fromEntries((await jobRows(page)).map((j) => [j.id, j.state])), { timeout: 15_000 }).toEqual({
      [echo.id]: 'succeeded',
      [fail.id]: 'failed',
      [offline.id]: 'expired',
    });

    // A new job shows up in the open list by itself, then its page streams what it prints.
    const ticks = await send('web-1', 'ticks');
    jobIds.ticks = ticks.id;
    await page.locator(`tr.job-row[data-job-id="${ticks.id}"] a.job-id`).click({ timeout: 10_000 });
    await page.locator('#job-view').waitFor({ state: 'visible' });
    expect(page.url()).toContain(`#/jobs/${ticks.id}`);

    // While it runs: some ticks are on the page, not all of them.
    const partial = await eventually(
      async () => {
        const shown = await page.evaluate(() => ({ state: document.getElementById('job-head')?.dataset.state, output: document.getElementById('job-output')?.textContent ?? '' }));
        return shown.state === 'running' && shown.output.includes('tick 2') ? shown : null;
      },
      15_000,
      'running job with some output on its page',
    );
    expect(partial.output).not.toContain('tick 8');
    expect(await jobState(ticks.id)).toBe('running');

    await page.locator('#job-head[data-state="succeeded"]').waitFor({ timeout: 20_000 });
    await page.locator('#job-live[data-state="done"]').waitFor();
    expect(await page.locator('#job-output').textContent()).toBe(Array.from({ length: 8 }, (_, i) => `tick ${i + 1}\n`).join(''));
    const fields = await page.locator('#job-fields').textContent();
    expect(fields).toContain('web-1');
    expect(fields).toMatch(/dispatch \d/);
    expect(fields).toMatch(/Exit code0/);
    await screenshotView(page, 'job-view', JOB_SCREENSHOT);

    // A failed job's page shows its output (stderr) and exit code.
    await openView(page, `#/jobs/${fail.id}`);
    await page.locator('#job-head[data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#job-output').textContent()).toContain('disk check failed');
    expect(await page.locator('#job-fields').textContent()).toMatch(/Exit code3/);

    await openView(page, '#/jobs');
    await expect.poll(async () => (await jobRows(page)).length, { timeout: 10_000 }).toBe(4);
    await screenshotView(page, 'jobs-view', JOBS_SCREENSHOT);

    // Filters: by state, and by a selector over the agents.
    await openView(page, '#/jobs?state=failed,expired');
    await expect.poll(async () => (await jobRows(page)).map((j) => j.id).sort(), { timeout: 10_000 }).toEqual([fail.id, offline.id].sort());
    await openView(page, `#/jobs?agent=${encodeURIComponent('role=web,region=eu')}`);
    await expect.poll(async () => (await jobRows(page)).map((j) => j.id).sort(), { timeout: 10_000 }).toEqual([echo.id, ticks.id].sort());
  }, 90_000);

  it('shows the fleet grouped by role, narrows it by selector, and charts the jobs of the last hour', async () => {
    await openView(page, '#/dashboard');
    await expect
      .poll(async () => (await fleetRows(page)).map((a) => `${a.group}|${a.name}|${a.status}`), { timeout: 10_000 })
      .toEqual(['role=db|db-1|offline', 'role=web|web-1|online', 'role=web|web-2|online']);
    const rows = await fleetRows(page);
    expect(rows.find((a) => a.name === 'web-1')).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+/), labels: expect.arrayContaining(['region=eu', 'role=web']), seen: expect.stringMatching(/just now|s ago/) });
    expect(rows.find((a) => a.name === 'db-1')).toMatchObject({ seen: 'never' });

    // Group by another label.
    await page.selectOption('#fleet-group', 'region');
    await expect.poll(async () => [...new Set((await fleetRows(page)).map((a) => a.group))]).toEqual(['region=eu', 'region=us', 'no region']);
    await page.selectOption('#fleet-group', 'role');

    // A selector, evaluated by the server as everywhere else; a bad one says where it breaks.
    await page.fill('#fleet-filter', 'region=us');
    await page.press('#fleet-filter', 'Enter');
    await expect.poll(async () => (await fleetRows(page)).map((a) => a.name)).toEqual(['web-2']);
    await page.fill('#fleet-filter', 'role in (web');
    await page.press('#fleet-filter', 'Enter');
    await expect.poll(() => page.locator('#fleet-filter-error').textContent()).toContain('position 13');
    await page.fill('#fleet-filter', '');
    await expect.poll(async () => (await fleetRows(page)).length).toBe(3);

    // The charts hold the jobs of the first test: two succeeded, one failed, one expired; three dispatched.
    await expect.poll(async () => (await dashboardCharts(page)).totals, { timeout: 10_000 }).toEqual({ succeeded: 2, failed: 1, expired: 1, cancelled: 0 });
    const charts = await dashboardCharts(page);
    expect(charts.bars).toMatchObject({ succeeded: expect.any(Number), failed: 1, expired: 1 });
    expect(charts.latencyBars).toBeGreaterThan(0);
    expect(charts.latencySummary).toMatch(/last hour: 3 dispatched · median \d/);
  }, 60_000);

  it('shows an agent offline once its process stops and the threshold passes, without a reload', async () => {
    expect((await fleetRows(page)).find((a) => a.name === 'web-1')?.status).toBe('online');
    const stoppedAt = Date.now();
    const code = await agents.get('web-1')!.stop(20_000);
    expect(code, agents.get('web-1')!.output()).toBe(0);

    await page.locator('tr.agent-row[data-agent="web-1"][data-status="offline"]').waitFor({ timeout: OFFLINE_AFTER_MS + 15_000 });
    const tookMs = Date.now() - stoppedAt;
    // Not before the threshold (less the time since its last check-in), and soon after it.
    expect(tookMs).toBeGreaterThan(OFFLINE_AFTER_MS - 2000);
    expect(tookMs).toBeLessThan(OFFLINE_AFTER_MS + 12_000);
    expect(await agentStatus('web-1')).toBe('offline');

    // The same page: no reload happened, and the rest of the fleet is as it was.
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect((await fleetRows(page)).map((a) => `${a.name}|${a.status}`)).toEqual(['db-1|offline', 'web-1|offline', 'web-2|online']);
    await expect.poll(() => page.locator('[data-tile="online"] .tile-value').textContent()).toBe('1 / 3');
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('live');

    expect(chat.dialogs).toEqual([]);
    expect(chat.errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await screenshotView(page, 'dashboard-view', SCREENSHOT);
  }, 60_000);
});
