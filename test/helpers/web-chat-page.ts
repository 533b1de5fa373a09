import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Drives Skadi's web chat page in headless Chromium (Debian's, via playwright-core). Used by the
 * adapter's browser test against a stand-in pipeline and by end-to-end tests against a real
 * `skadi serve`: everything here goes through the page as a person would.
 */

export const CHROMIUM_PATH = process.env.SKADI_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Quiet, offline-friendly flags; playwright adds a fresh temporary --user-data-dir itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set SKADI_TEST_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface ChatPage {
  context: BrowserContext;
  page: Page;
  /** Messages of every alert/confirm/prompt that opened (and was dismissed): must stay empty. */
  dialogs: string[];
  /** Uncaught errors in the page. */
  errors: string[];
}

/** Opens the page in a new, cookie-less context. */
export async function openChatPage(browser: Browser, baseUrl: string): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(baseUrl);
  return { context, page, dialogs, errors };
}

/** Fills the login form and waits for the app to show (the chat, or the view the address names). */
export async function login(page: Page, user: string, token: string): Promise<void> {
  await page.locator('#login-user').waitFor({ state: 'visible' });
  await page.fill('#login-user', user);
  await page.fill('#login-token', token);
  await page.click('#login-submit');
  await page.locator('#logout').waitFor({ state: 'visible' });
  await page.locator('#connection[data-state="live"]').waitFor();
}

/** Types a message into the compose box and sends it; resolves with the id of its thread. */
export async function sendMessage(page: Page, text: string, options: { inThread?: string } = {}): Promise<string> {
  if (options.inThread) await page.locator(`.thread[data-thread-id="${options.inThread}"] button.reply`).click();
  const before = await page.locator('.msg-user').count();
  await page.fill('#compose-text', text);
  await page.press('#compose-text', 'Enter');
  const mine = page.locator('.msg-user').nth(before);
  await mine.waitFor();
  const messageId = (await mine.getAttribute('data-message-id')) ?? '';
  // Accepted by the server: the "sending…" mark goes away (a refusal leaves an error instead).
  await page.locator(`.msg-user[data-message-id="${messageId}"]:not(.pending)`).waitFor();
  // The page replaces a message's element on every update (accepted, then echoed by the
  // stream), so a located element may be detached by the time it is read: look it up afresh.
  const threadId = await page.evaluate(
    (id) => (document.querySelector(`.msg-user[data-message-id="${CSS.escape(id)}"]`)?.closest('.thread') as HTMLElement | null)?.dataset.threadId ?? '',
    messageId,
  );
  if (!threadId) throw new Error(`the message "${text}" shows in no thread`);
  return threadId;
}

/** A chat message as the page shows it. */
export interface ShownMessage {
  id: string;
  author: string;
  status: string;
  text: string;
  title: string | null;
  /** Text of each output/attachment block. */
  files: string[];
  edited: boolean;
}

/** Every message of a thread, in order. */
export async function threadMessages(page: Page, threadId: string): Promise<ShownMessage[]> {
  return page.locator(`.thread[data-thread-id="${threadId}"] .msg`).evaluateAll((els) =>
    els.map((el) => {
      const e = el as HTMLElement;
      return {
        id: e.dataset.messageId ?? '',
        author: e.dataset.author ?? '',
        status: e.dataset.status ?? '',
        text: e.querySelector('.text')?.textContent ?? '',
        title: e.querySelector('.title')?.textContent ?? null,
        files: [...e.querySelectorAll('pre.output')].map((p) => p.textContent ?? ''),
        edited: e.querySelector('.edited') !== null,
      };
    }),
  );
}

/**
 * Waits until the thread holds a bot message matching `match` (status and/or text) and returns
 * it. Status messages are edited in place, so a later status replaces an earlier one.
 */
export async function waitForReply(
  page: Page,
  threadId: string,
  match: { status?: string | string[]; text?: string | RegExp } = {},
  timeoutMs = 10_000,
): Promise<ShownMessage> {
  const statuses = match.status === undefined ? null : Array.isArray(match.status) ? match.status : [match.status];
  const fits = (m: ShownMessage) =>
    m.author === 'bot' &&
    (!statuses || statuses.includes(m.status)) &&
    (match.text === undefined || (typeof match.text === 'string' ? `${m.text}\n${m.files.join('\n')}`.includes(match.text) : match.text.test(`${m.text}\n${m.files.join('\n')}`)));
  const deadline = Date.now() + timeoutMs;
  let last: ShownMessage[] = [];
  while (Date.now() < deadline) {
    last = await threadMessages(page, threadId);
    const found = last.find(fits);
    if (found) return found;
    await page.waitForTimeout(50);
  }
  throw new Error(`no reply matching ${JSON.stringify({ ...match, text: String(match.text) })} in thread ${threadId} within ${timeoutMs} ms; thread has: ${JSON.stringify(last)}`);
}

/** The side panel's rows, as text. */
export async function sidePanel(page: Page): Promise<{ agents: Array<{ name: string; status: string }>; jobs: Array<{ id: string; state: string; agent: string; requester: string }> }> {
  return page.evaluate(() => ({
    agents: [...document.querySelectorAll('#agents li.agent')].map((li) => ({
      name: li.querySelector('.name')?.textContent ?? '',
      status: li.classList.contains('agent-online') ? 'online' : 'offline',
    })),
    jobs: [...document.querySelectorAll('#jobs li.job')].map((li) => ({
      id: li.querySelector('.job-id')?.textContent ?? '',
      state: (li as HTMLElement).dataset.state ?? '',
      agent: li.querySelector('.agent-name')?.textContent ?? '',
      requester: li.querySelector('.job-who .u')?.textContent ?? '',
    })),
  }));
}

/** One state a bot message was shown in, in the order the page showed them. */
export interface SeenStatus {
  threadId: string;
  messageId: string;
  status: string;
  text: string;
}

declare global {
  interface Window {
    __skadiSeen?: SeenStatus[];
  }
}

/**
 * Records every status each bot message passes through from now on (until the page navigates).
 * A real agent can finish within milliseconds, so polling the DOM may never see the
 * acknowledgement before it is edited into the result; a MutationObserver does.
 */
export async function recordBotStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    if (window.__skadiSeen) return;
    const seen: SeenStatus[] = [];
    window.__skadiSeen = seen;
    const last = new Map<string, string>();
    const scan = (): void => {
      for (const el of document.querySelectorAll<HTMLElement>('.msg-bot')) {
        const messageId = el.dataset.messageId ?? '';
        const status = el.dataset.status ?? '';
        const text = el.querySelector('.text')?.textContent ?? '';
        const key = `${status}\u0000${text}`;
        if (last.get(messageId) === key) continue;
        last.set(messageId, key);
        seen.push({ threadId: (el.closest('.thread') as HTMLElement | null)?.dataset.threadId ?? '', messageId, status, text });
      }
    };
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
  });
}

/** What `recordBotStatuses` saw so far, optionally only in one thread. */
export async function seenBotStatuses(page: Page, threadId?: string): Promise<SeenStatus[]> {
  const seen = await page.evaluate(() => window.__skadiSeen ?? null);
  if (seen === null) throw new Error('recordBotStatuses(page) was not called on this page');
  return threadId === undefined ? seen : seen.filter((s) => s.threadId === threadId);
}
