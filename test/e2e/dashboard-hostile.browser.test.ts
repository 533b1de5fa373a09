import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, openDashboardSession, type DashboardSession } from '../helpers/dashboard-session.js';
import { login, openChatPage, type ChatPage } from '../helpers/web-chat-page.js';
import { fleetRows, jobRows, openView, screenshotView } from '../helpers/web-dashboard-page.js';
import { createFakeJobsApi, fakeAgent, fakeJob, type FakeJobsApi } from '../helpers/web-fake-jobs.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const RTL = 'evil\u202Egnp.exe';
/** How the page shows RTL in names and labels: the control made visible, so it cannot reorder the name. */
const RTL_SHOWN = 'evil[U+202E]gnp.exe';

/**
 * The dashboard views against a stand-in JobsApi whose agents, labels, messages, requesters and
 * output are hostile: everything must show as text, nothing may run, and a running job's output
 * must stream onto its page as the "agent" prints it.
 */
describe('dashboard in a browser: hostile names and output stay text', () => {
  let session: DashboardSession | undefined;
  let jobs: FakeJobsApi;
  let chat: ChatPage;

  beforeAll(async () => {
    jobs = createFakeJobsApi([
      fakeAgent('web-1', { labels: { role: 'web' } }),
      fakeAgent(HOSTILE, { labels: { role: SCRIPT, [HOSTILE]: RTL }, version: SCRIPT, host: HOSTILE, os: SCRIPT }),
      fakeAgent(RTL, { status: 'offline', lastSeenAt: new Date(Date.now() - 600_000), labels: { role: 'web' } }),
    ]);
    jobs.putJob(fakeJob({ id: 'hostile1', agent: HOSTILE, state: 'running', message: `${SCRIPT} ${RTL}`, requester: { identity: 'web:alice', displayName: HOSTILE }, sentAt: new Date() }));
    jobs.outputs.set('hostile1', `${HOSTILE}\n`);
    session = await openDashboardSession(jobs);
    chat = session.chat;
  });

  afterAll(async () => {
    await session?.close();
  });

  it('shows hostile agent names, labels, versions and hosts as text in the fleet', async () => {
    const { page } = chat;
    await openView(page, '#/dashboard');
    await expect.poll(async () => (await fleetRows(page)).map((a) => a.name).sort(), { timeout: 10_000 }).toEqual([HOSTILE, RTL_SHOWN, 'web-1'].sort());
    const rows = await fleetRows(page);
    const hostile = rows.find((a) => a.name === HOSTILE)!;
    expect(hostile).toMatchObject({ group: `role=${SCRIPT}`, version: SCRIPT, status: 'online', jobs: '1 running' });
    expect(hostile.labels).toEqual(expect.arrayContaining([`${HOSTILE}=${RTL_SHOWN}`, `role=${SCRIPT}`]));
    expect(rows.find((a) => a.name === RTL_SHOWN)).toMatchObject({ group: 'role=web', status: 'offline' });
    // Grouping by a hostile label key works like any other.
    await page.selectOption('#fleet-group', HOSTILE);
    await expect.poll(async () => [...new Set((await fleetRows(page)).map((a) => a.group))]).toEqual([`${HOSTILE}=${RTL_SHOWN}`, `no ${HOSTILE}`]);
    await page.selectOption('#fleet-group', 'role');
  });

  it('opened at its address before the fleet is known, groups by role once it is', async () => {
    const fresh = await openChatPage(session!.browser, `${session!.server.url}/#/dashboard`);
    try {
      await login(fresh.page, 'alice', ALICE.token);
      await expect.poll(async () => [...new Set((await fleetRows(fresh.page)).map((a) => a.group))], { timeout: 10_000 }).toEqual([`role=${SCRIPT}`, 'role=web']);
      expect(fresh.errors).toEqual([]);
    } finally {
      await fresh.context.close();
    }
  });

  it("lists the hostile job, and streams its hostile output onto the job's page as text", async () => {
    const { page } = chat;
    await openView(page, '#/jobs');
    await expect.poll(async () => (await jobRows(page)).map((j) => [j.id, j.agent, j.message])).toEqual([['hostile1', HOSTILE, `${SCRIPT} ${RTL_SHOWN}`]]);

    await page.click('tr.job-row[data-job-id="hostile1"] a.job-id');
    await page.locator('#job-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#job-output').textContent()).toBe(`${HOSTILE}\n`);
    // The "agent" prints more while the page is open.
    jobs.outputs.set('hostile1', `${HOSTILE}\n${SCRIPT}\n${RTL}\n`);
    await expect.poll(() => page.locator('#job-output').textContent()).toBe(`${HOSTILE}\n${SCRIPT}\n${RTL}\n`);
    expect(await page.locator('#job-bidi').isVisible()).toBe(true);
    expect(await page.locator('#job-live').getAttribute('data-state')).toBe('live');

    jobs.putJob({ id: 'hostile1', agent: HOSTILE, state: 'failed', exitCode: 1, output: `${HOSTILE}\n${SCRIPT}\n${RTL}\n`, finishedAt: new Date() });
    await page.locator('#job-head[data-state="failed"]').waitFor({ timeout: 5000 });
    await page.locator('#job-live[data-state="done"]').waitFor();
    const fields = await page.locator('#job-fields').textContent();
    expect(fields).toContain(`Requester${HOSTILE} (web:alice)`);
    expect(fields).toContain(`Message${SCRIPT} ${RTL_SHOWN}`);
  });

  it('ran nothing: no injected element, no dialog, no page error', async () => {
    const { page, dialogs, errors } = chat;
    const dom = await page.evaluate(() => ({ images: document.querySelectorAll('img').length, scripts: document.querySelectorAll('script').length, bold: document.querySelectorAll('b').length }));
    expect(dom).toEqual({ images: 0, scripts: 1, bold: 0 });
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await screenshotView(page, 'job-view', 'test-results/dashboard-hostile-job.png');
    await openView(page, '#/dashboard');
    await screenshotView(page, 'dashboard-view', 'test-results/dashboard-hostile.png');
    expect(dialogs).toEqual([]);
  });
});
