import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, login, openChatPage, recordBotStatuses, seenBotStatuses, sendMessage, sidePanel, threadMessages, waitForReply, type ChatPage } from '../helpers/web-chat-page.js';
import { startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const SCREENSHOT = 'test-results/web-chat-serve.png';

/**
 * The README's first command, end to end: the built `skadi serve` on its embedded defaults
 * (SQLite, in-process bus, the demo agent `local`), driven through its web page in headless
 * Chromium as a person would: log in as `admin`, run `local uptime`, ask for help, mistype.
 */
describe('skadi serve: web chat in a browser', () => {
  let server: SkadiProcess;
  let browser: Browser;
  let chat: ChatPage;

  beforeAll(async () => {
    const cwd = tempDir('skadi-web-e2e-');
    server = await startServe({ cwd });
    browser = await launchChromium();
    chat = await openChatPage(browser, server.url);
    // The embedded default's login: `admin` with the token kept in the data directory.
    const token = readFileSync(join(cwd, 'data', 'web-admin-token'), 'utf8').trim();
    await login(chat.page, 'admin', token);
    await recordBotStatuses(chat.page);
  });

  afterAll(async () => {
    await chat?.context.close();
    await browser?.close();
    const code = await server?.stop();
    expect(code, server?.output()).toBe(0);
  });

  it('runs `local uptime` on the embedded agent: acknowledged, then the same message edited to the result', async () => {
    const { page } = chat;
    // The embedded agent checks in right after start; until then a job would expire at once.
    await expect.poll(async () => (await sidePanel(page)).agents.find((a) => a.name === 'local')?.status, { timeout: 10_000 }).toBe('online');

    const thread = await sendMessage(page, 'local uptime');
    const result = await waitForReply(page, thread, { status: 'succeeded' }, 20_000);

    // The acknowledgement came first, and every later status replaced it in place.
    const seen = await seenBotStatuses(page, thread);
    expect(seen[0], JSON.stringify(seen)).toMatchObject({ status: 'queued', text: expect.stringMatching(/^Job \w+ queued for local: uptime$/) });
    expect(new Set(seen.map((s) => s.messageId))).toEqual(new Set([result.id]));
    // `running` may be skipped when the job ends before its event is handled; nothing else may show.
    expect(['queued,running,succeeded', 'queued,succeeded']).toContain(seen.map((s) => s.status).join(','));

    const jobId = /^Job (\w+) /.exec(seen[0]!.text)![1]!;
    expect(result.text).toMatch(new RegExp(`^Job ${jobId} on local succeeded \\(exit 0, [^)]+\\): uptime$`));
    expect(result.edited).toBe(true);
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toMatch(/load average/);

    const shown = await threadMessages(page, thread);
    expect(shown.map((m) => `${m.author}:${m.status}`)).toEqual(['user:user', 'bot:succeeded']);
    expect(shown[0]!.text).toBe('local uptime');
    await expect.poll(async () => (await sidePanel(page)).jobs.find((j) => j.id === jobId)?.state, { timeout: 10_000 }).toBe('succeeded');
  });

  it('answers `help` in its own thread', async () => {
    const { page } = chat;
    const thread = await sendMessage(page, 'help');
    const reply = await waitForReply(page, thread, { status: 'info' });
    expect(reply.title).toBe('What I can do for you');
    expect(reply.text).toContain('Agents you may use: local');
    for (const command of ['agents', 'status', 'jobs', 'cancel', 'rerun']) expect(reply.text).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('suggests `local` for `lcoal uptime` and runs nothing', async () => {
    const { page } = chat;
    const jobsBefore = (await sidePanel(page)).jobs.length;
    const thread = await sendMessage(page, 'lcoal uptime');
    const reply = await waitForReply(page, thread, { status: 'error' });
    expect(reply.text).toBe('I know no agent or command called "lcoal". Did you mean "local"? Say "agents" to list the agents you may use, or "help".');
    expect((await threadMessages(page, thread)).map((m) => m.status)).toEqual(['user', 'error']);
    expect((await sidePanel(page)).jobs.length).toBe(jobsBefore);
  });

  it('kept the page clean and saves a screenshot of the conversation', async () => {
    const { page, dialogs, errors } = chat;
    expect(await page.locator('.thread').count()).toBe(3);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    // The thread list scrolls inside the page: make the window tall enough to show all three threads.
    const height = await page.evaluate(() => document.getElementById('threads')!.scrollHeight);
    await page.setViewportSize({ width: 1280, height: Math.min(2400, height + 160) });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
