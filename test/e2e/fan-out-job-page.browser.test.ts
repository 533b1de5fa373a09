import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDashboardSession, type DashboardSession } from '../helpers/dashboard-session.js';
import type { ChatPage } from '../helpers/web-chat-page.js';
import { openView } from '../helpers/web-dashboard-page.js';
import { createFakeJobsApi, fakeAgent, fakeJob } from '../helpers/web-fake-jobs.js';


/** The dashboard's page of a fan-out parent, in headless Chromium: its selector, skipped agents, and a link per child. */
describe('dashboard job page of a fan-out', () => {
  let session: DashboardSession | undefined;
  let chat: ChatPage;

  beforeAll(async () => {
    const jobs = createFakeJobsApi([fakeAgent('web-1', { labels: { role: 'web' } }), fakeAgent('web-2', { labels: { role: 'web' } })]);
    const fanout = { selector: 'role=web', concurrency: 2, maxFailures: 1, targets: ['web-1', 'web-2'], skipped: [{ agent: 'web-3', why: 'offline' as const }], started: 2, stopped: null, reported: 2 };
    jobs.putJob(fakeJob({ id: 'fanparent01', agent: '(role=web)', state: 'failed', fanout, finishedAt: new Date() }));
    jobs.putJob(fakeJob({ id: 'fanchild001', agent: 'web-1', state: 'succeeded', exitCode: 0, parentId: 'fanparent01', createdAt: new Date(Date.now() - 2000) }));
    jobs.putJob(fakeJob({ id: 'fanchild002', agent: 'web-2', state: 'failed', exitCode: 3, parentId: 'fanparent01', createdAt: new Date(Date.now() - 1000) }));
    session = await openDashboardSession(jobs);
    chat = session.chat;
  });

  afterAll(async () => {
    await session?.close();
  });

  it('lists the children with links to their pages', async () => {
    const { page } = chat;
    await openView(page, '#/jobs/fanparent01');
    const children = page.locator('#job-children a');
    await expect.poll(() => children.allTextContents(), { timeout: 10_000 }).toEqual(['web-1: succeeded (exit 0)', 'web-2: failed (exit 3)']);
    expect(await children.evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(['#/jobs/fanchild001', '#/jobs/fanchild002']);
    await expect.poll(() => page.locator('#job-fields').textContent()).toContain('role=web · at most 2 at once · stop after 1 failed');
    expect(await page.locator('#job-fields').textContent()).toContain('web-3 (offline)');
    // A child's page links back to its parent.
    await children.first().click();
    await expect.poll(() => page.locator('#job-title-id').textContent()).toBe('fanchild001');
    await expect.poll(() => page.locator('#job-fields a[href="#/jobs/fanparent01"]').count()).toBe(1);
    expect(chat.errors).toEqual([]);
  });
});
