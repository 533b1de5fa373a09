import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { newJobId, type EventBus, type InboundMessage, type JobState, type OutboundMessage } from '../../src/core/index.js';
import { launchChromium, login, openChatPage, sendMessage, sidePanel, threadMessages, waitForReply } from '../helpers/web-chat-page.js';
import { createFakeJobsApi, fakeAgent } from '../helpers/web-fake-jobs.js';
import { startWebServer, type WebTestServer } from '../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };
const HOSTILE = '<img src=x onerror=alert(1)>';
const RTL = 'evil\u202Egnp.exe';
const SCRIPT = '<script>alert(2)</script>';
/** How the page shows RTL in names and labels: the control made visible, so it cannot reorder the name. */
const RTL_SHOWN = 'evil[U+202E]gnp.exe';

/**
 * The web chat in a real browser, with a stand-in for the rest of the pipeline: for each message
 * the sink acknowledges in the thread, then edits that status message to running and to the
 * result, and updates the job in the side panel, as the dispatcher and reply router will.
 */
describe('web chat in a browser', () => {
  let browser: Browser;
  let server: WebTestServer;
  let bus: EventBus;

  beforeAll(async () => {
    bus = createInProcessBus();
    const jobs = createFakeJobsApi([fakeAgent('local'), fakeAgent(HOSTILE, { version: SCRIPT, host: HOSTILE, os: RTL, labels: { role: HOSTILE, 'team.io/owner': SCRIPT } }), fakeAgent(RTL, { status: 'offline', lastSeenAt: new Date(Date.now() - 600_000) })]);
    server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 200 } });
    const { adapter } = server;

    const status = async (m: InboundMessage, jobId: string, to: JobState, version: number) => {
      jobs.putJob({ id: jobId, agent: 'local', message: m.text.replace(/^local /, ''), state: to, requester: { identity: m.sender.identity, displayName: m.text.includes('hostile') ? HOSTILE : m.sender.displayName } });
      await bus.publish('EventJobStatus', { jobId, agent: 'local', from: null, to, reason: null, at: new Date().toISOString(), version, attempt: 1, platform: 'web' }, `${jobId}:${version}`);
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    await adapter.start(async (m) => {
      const cancel = /^cancel (\w+)$/.exec(m.text);
      if (cancel) {
        await adapter.send(m.thread, { text: `Job ${cancel[1]} cancelled by ${m.sender.displayName}`, status: 'cancelled', jobId: cancel[1] });
        return;
      }
      const jobId = newJobId();
      const hostile = m.text.includes('hostile');
      await status(m, jobId, 'queuing', 1);
      const ack: OutboundMessage = { text: `Job ${jobId} queued for local`, status: 'queued', jobId, actions: [{ id: 'cancel', label: 'Cancel', jobId }] };
      const { messageId } = await adapter.send(m.thread, ack);
      // The sink answers at once; the "agent" runs later, as a real one would. `sleep` never ends.
      if (m.text.includes('sleep')) return;
      void (async () => {
        await pause(300);
        await status(m, jobId, 'running', 2);
        await adapter.edit!(m.thread, messageId, { ...ack, text: `Job ${jobId} running on local`, status: 'running' });
        await pause(300);
        await status(m, jobId, 'succeeded', 3);
        const output = hostile
          ? `${HOSTILE}\n${SCRIPT}\n${RTL}\n`
          : ` ${new Date().toTimeString().slice(0, 8)} up 3 days,  4:05,  1 user,  load average: 0.08, 0.03, 0.01\n`;
        await adapter.edit!(m.thread, messageId, {
          text: `Job ${jobId} succeeded on local (exit 0)`,
          status: 'succeeded',
          jobId,
          title: hostile ? HOSTILE : undefined,
          fields: hostile ? [{ label: RTL, value: HOSTILE }] : undefined,
          code: { content: output, filename: hostile ? `${HOSTILE}.txt` : undefined },
        });
      })();
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await bus?.close();
  });

  it('logs in, sends `local uptime`, and shows the acknowledgement then the result in the same thread', async () => {
    const { page, dialogs, errors, context } = await openChatPage(browser, server.url);
    await login(page, 'alice', ALICE.token);
    const thread = await sendMessage(page, 'local uptime');

    const ack = await waitForReply(page, thread, { status: ['queued', 'running'] });
    expect(ack.text).toMatch(/^Job \w+ (queued for|running on) local$/);
    const result = await waitForReply(page, thread, { status: 'succeeded' });
    expect(result.id).toBe(ack.id); // the status message was updated in place
    expect(result.files[0]).toMatch(/up 3 days/);
    expect(result.edited).toBe(true);

    const shown = await threadMessages(page, thread);
    expect(shown.map((m) => `${m.author}:${m.status}`)).toEqual(['user:user', 'bot:succeeded']);
    expect(shown[0]!.text).toBe('local uptime');

    await expect.poll(async () => (await sidePanel(page)).jobs.find((j) => j.id === result.text.split(' ')[1])?.state, { timeout: 5000 }).toBe('succeeded');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/web-chat.png', fullPage: true });

    // A reload keeps the conversation: the server replays it to the new stream.
    await page.reload();
    await page.locator('#connection[data-state="live"]').waitFor();
    expect((await threadMessages(page, thread)).map((m) => m.status)).toEqual(['user', 'succeeded']);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows hostile strings in output, names and fields as text, and runs none of them', async () => {
    const { page, dialogs, errors, context } = await openChatPage(browser, server.url);
    await login(page, 'alice', ALICE.token);
    const thread = await sendMessage(page, 'local hostile');
    const result = await waitForReply(page, thread, { status: 'succeeded' });
    expect(result.title).toBe(HOSTILE);
    expect(result.files[0]).toBe(`${HOSTILE}\n${SCRIPT}\n${RTL}\n`);
    await expect.poll(async () => (await sidePanel(page)).jobs.some((j) => j.requester === HOSTILE), { timeout: 5000 }).toBe(true);

    const panel = await sidePanel(page);
    expect(panel.agents.map((a) => a.name)).toEqual(expect.arrayContaining([HOSTILE, RTL_SHOWN]));
    const dom = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      fieldLabel: document.querySelector('.fields dt')?.textContent,
      download: document.querySelector('.msg-bot a.download')?.getAttribute('download'),
      versionText: [...document.querySelectorAll('#agents .meta')].map((e) => e.textContent).join('|'),
      bidiWarning: document.querySelector('.msg-bot .bidi-warning')?.textContent ?? null,
    }));
    expect(dom.images).toBe(0);
    expect(dom.scripts).toBe(1); // the page's own module
    expect(dom.fieldLabel).toBe(RTL_SHOWN);
    // Output stays byte for byte (checked above), flagged instead.
    expect(dom.bidiWarning).toMatch(/direction controls/);
    expect(dom.download).not.toMatch(/[<>/\u202E]/);
    expect(dom.versionText).toContain(`v${SCRIPT}`);
    await page.screenshot({ path: 'test-results/web-chat-hostile.png', fullPage: true });
    // The dashboard (labels, host, os as chips and cells) and the jobs list show the same strings as text.
    for (const view of ['dashboard', 'jobs']) {
      await page.evaluate((v) => (location.hash = `#/${v}`), view);
      await expect.poll(() => page.evaluate((v) => document.querySelector(`[data-view="${v}"][aria-current="page"]`) !== null, view), { timeout: 5000 }).toBe(true);
      await page.waitForTimeout(300);
      const shown = await page.evaluate(() => ({ images: document.querySelectorAll('img').length, scripts: document.querySelectorAll('script').length, text: document.body.innerText }));
      expect(shown.images, view).toBe(0);
      expect(shown.scripts, view).toBe(1);
      if (view === 'dashboard') expect(shown.text).toContain(`role=${HOSTILE}`);
    }
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('cancels from the button and replies in the same thread', async () => {
    const { page, dialogs, context } = await openChatPage(browser, server.url);
    await login(page, 'alice', ALICE.token);
    const thread = await sendMessage(page, 'local sleep 100');
    const ack = await waitForReply(page, thread, { status: 'queued' });
    const jobId = ack.text.split(' ')[1]!;
    await page.locator(`.thread[data-thread-id="${thread}"] button.action-cancel`).click();
    await waitForReply(page, thread, { status: 'cancelled', text: `Job ${jobId} cancelled by alice` });
    // "Reply in thread" sends the next message into the same thread, not a new one.
    const same = await sendMessage(page, `cancel ${jobId}`, { inThread: thread });
    expect(same).toBe(thread);
    await expect.poll(async () => (await threadMessages(page, thread)).filter((m) => m.status === 'cancelled').length).toBe(2);
    expect((await threadMessages(page, thread)).filter((m) => m.author === 'user').map((m) => m.text)).toEqual(['local sleep 100', `cancel ${jobId}`, `cancel ${jobId}`]);
    expect(await page.locator('.thread').count()).toBe(1);
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('refuses a wrong token on the login form', async () => {
    const { page, context } = await openChatPage(browser, server.url);
    await page.fill('#login-user', 'alice');
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-submit');
    await expect.poll(() => page.textContent('#login-error')).toBe('Unknown user or wrong token.');
    expect(await page.isVisible('#app-view')).toBe(false);
    await context.close();
  });
});
