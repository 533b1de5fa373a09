import type { Browser } from 'playwright-core';
import { createInProcessBus } from '../../src/bus/index.js';
import type { EventBus } from '../../src/core/index.js';
import { launchChromium, login, openChatPage, type ChatPage } from './web-chat-page.js';
import type { FakeJobsApi } from './web-fake-jobs.js';
import { startWebServer, type WebTestServer } from './web-test-server.js';

export const ALICE = { name: 'alice', token: 'alice-token-0123456789' };

export interface DashboardSession {
  bus: EventBus;
  server: WebTestServer;
  browser: Browser;
  /** Alice's page, logged in. */
  chat: ChatPage;
  close(): Promise<void>;
}

/**
 * The web adapter over a stand-in JobsApi, and headless Chromium logged in as alice: what the
 * dashboard's browser tests start from. Fast polls, so views update within the tests' waits.
 */
export async function openDashboardSession(jobs: FakeJobsApi): Promise<DashboardSession> {
  const bus = createInProcessBus();
  const server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 200, outputPollMs: 100 } });
  await server.adapter.start(async () => undefined);
  const browser = await launchChromium();
  const chat = await openChatPage(browser, server.url);
  await login(chat.page, ALICE.name, ALICE.token);
  return {
    bus,
    server,
    browser,
    chat,
    async close() {
      await chat.context.close();
      await browser.close();
      await server.close();
      await bus.close();
    },
  };
}
