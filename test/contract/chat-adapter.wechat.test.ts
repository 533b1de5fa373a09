import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTACT_TYPE_OFFICIAL, MESSAGE_TYPE_TEXT } from '../../adapters/wechat/normalize.js';
import { createWechatPlatform, validateWechatConfig } from '../../adapters/wechat/wechat-platform.js';
import { AdapterError, silentLogger, systemClock, type ChatAdapter, type InboundMessage, type PlatformDeps } from '../../src/core/index.js';
import { createInProcessBus } from '../../src/bus/in-process-bus.js';
import { createInProcessNotifier } from '../../src/bus/in-process-notifier.js';
import { MemoryAuditStore } from '../helpers/memory-audit.js';
import { MemoryJobsApi } from '../helpers/memory-jobs-api.js';
import { MemoryKeyValueStore } from '../helpers/memory-kv.js';
import { createMockWorld, type MockWorld } from '../helpers/wechat-mock-world.js';
import { chatAdapterContract, type ChatAdapterHarness, type ReceivedMessage } from './chat-adapter.contract.js';

/**
 * The real Wechaty (imported by the adapter, once per file: it is slow) on wechaty-puppet-mock,
 * the puppet wechaty ships for tests. The mock is the local peer: people write through its
 * Mocker, and what the bot sends is read back from the puppet.
 */

function platformDeps(dataDir: string): PlatformDeps {
  return {
    jobs: new MemoryJobsApi(),
    bus: createInProcessBus(),
    notifier: createInProcessNotifier(),
    kv: new MemoryKeyValueStore(),
    audit: new MemoryAuditStore(),
    clock: systemClock,
    logger: silentLogger,
    nodeId: 'test',
    dataDir,
    publicUrl: null,
  };
}

/** An adapter on the world's puppet, as the wiring builds it (fast sends for tests). */
async function wechatAdapter(world: MockWorld, printed: string[] = []) {
  const config = validateWechatConfig({ sendIntervalMs: 0, statusToken: 'contract-status-token' });
  const dataDir = mkdtempSync(join(tmpdir(), 'skadi-wechat-'));
  return createWechatPlatform(config, { ...platformDeps(dataDir), puppet: world.puppet, print: (t) => printed.push(t), adapterOptions: { retryBaseMs: 10 } });
}

async function wechatHarness(): Promise<ChatAdapterHarness> {
  const world = createMockWorld();
  const { adapter } = await wechatAdapter(world);
  let loggedInOnce = false;
  return {
    adapter,
    async deliver(input) {
      // The bot logs in once the puppet runs (the suite starts the adapter before delivering).
      if (!loggedInOnce) {
        loggedInOnce = true;
        world.login();
      }
      // "A bot" on WeChat is this very account: its own messages come back as self messages.
      const from = input.isBot ? world.botId : input.user;
      const to = input.conversation ?? world.roomId;
      world.say({ from, to, text: input.text, id: input.id, mention: true });
    },
    async received(): Promise<ReceivedMessage[]> {
      return world.sent().map((m) => ({ conversationId: m.conversationId, messageId: m.id, text: m.text, edited: false }));
    },
    async close() {},
  };
}

chatAdapterContract('wechat', wechatHarness);

describe('WeChat adapter on wechaty with wechaty-puppet-mock', () => {
  let world: MockWorld;
  let adapter: ChatAdapter;
  let inbox: InboundMessage[];
  const started: ChatAdapter[] = [];

  async function start(printed: string[] = []) {
    const platform = await wechatAdapter(world, printed);
    inbox = [];
    await platform.adapter.start(async (m) => {
      inbox.push(m);
    });
    started.push(platform.adapter);
    return platform;
  }

  beforeAll(() => {
    world = createMockWorld();
  });

  afterEach(async () => {
    for (const a of started.splice(0)) await a.stop();
  });

  it('reads the message and contact types wechaty defines', async () => {
    const { types } = await import('wechaty');
    expect(MESSAGE_TYPE_TEXT).toBe(types.Message.Text);
    expect(CONTACT_TYPE_OFFICIAL).toBe(types.Contact.Official);
  });

  it('takes room mentions and direct messages; ignores room chatter, its own messages and a redelivery', async () => {
    world = createMockWorld();
    ({ adapter } = await start());
    world.login();
    world.say({ from: 'alice', text: 'local date', mention: false });
    world.say({ from: world.botId, text: 'local date', mention: true });
    const id = world.say({ from: 'alice', text: 'local uptime' });
    world.say({ from: 'alice', text: 'local uptime', id });
    world.say({ from: 'bob', to: 'bob', text: 'local echo hi' });
    await vi.waitFor(() => expect(inbox).toHaveLength(2), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const byText = Object.fromEntries(inbox.map((m) => [m.text, m]));
    expect(inbox).toHaveLength(2);
    expect(byText['local uptime']).toMatchObject({ id, sender: { identity: 'wechat:alice', displayName: 'Alice' }, thread: { conversationId: 'ops@chatroom', opaque: { room: true, mention: { id: 'alice', name: 'Alice' } } } });
    expect(byText['local echo hi']).toMatchObject({ sender: { identity: 'wechat:bob' }, thread: { conversationId: 'bob', opaque: { room: false } } });
  });

  it('replies in the room mentioning the requester and naming the job; in a direct chat to the contact', async () => {
    world = createMockWorld();
    ({ adapter } = await start());
    world.login();
    world.say({ from: 'alice', text: 'local uptime' });
    world.say({ from: 'bob', to: 'bob', text: 'local date' });
    await vi.waitFor(() => expect(inbox).toHaveLength(2), { timeout: 5000 });
    const inRoom = inbox.find((m) => m.thread.conversationId === world.roomId)!;
    const direct = inbox.find((m) => m.thread.conversationId === 'bob')!;
    await adapter.send(inRoom.thread, { text: 'The output follows in 2 messages.', status: 'succeeded', jobId: 'k3j4h5m6n7p8' });
    await adapter.send(direct.thread, { text: 'Job abcdefabcdef queued for local: date', status: 'queued', jobId: 'abcdefabcdef' });
    expect(world.sent().map(({ conversationId, text, mentionIdList }) => ({ conversationId, text, mentionIdList }))).toEqual([
      { conversationId: 'ops@chatroom', text: '@Alice\u2005✅ [job k3j4h5m6n7p8] The output follows in 2 messages.', mentionIdList: ['alice'] },
      { conversationId: 'bob', text: 'Job abcdefabcdef queued for local: date', mentionIdList: [] },
    ]);
  });

  it('shows the QR code, logs in, and while logged out refuses to send; a new adapter on the same mocker delivers the pending reply once after login', async () => {
    world = createMockWorld();
    const printed: string[] = [];
    const first = await start(printed);
    world.mocker.scan('https://login.weixin.qq.com/l/contract', 2);
    await vi.waitFor(() => expect(printed.join('')).toContain('/wechat?token=contract-status-token'), { timeout: 5000 });
    world.login();
    world.say({ from: 'alice', text: 'local uptime' });
    await vi.waitFor(() => expect(inbox).toHaveLength(1), { timeout: 5000 });
    const thread = JSON.parse(JSON.stringify(inbox[0]!.thread));
    const result = { text: 'Job k3j4h5m6n7p8 on local succeeded (exit 0, 5 ms): uptime', status: 'succeeded' as const, jobId: 'k3j4h5m6n7p8', code: { content: 'up 3 days' } };

    await world.puppet.logout('kicked out by the phone');
    // What the reply router does with the result event: send, fail, release the claim; the bus redelivers later.
    await expect(first.adapter.send(thread, result)).rejects.toBeInstanceOf(AdapterError);
    expect(world.sent()).toEqual([]);

    // The server restarts: the bot stops, a new adapter (new Wechaty, new puppet) comes up on the same mocker.
    await first.adapter.stop();
    started.splice(started.indexOf(first.adapter), 1);
    world.restartPuppet();
    const second = await start();
    await expect(second.adapter.send(thread, result)).rejects.toThrow(/not logged in/);
    world.login();
    await vi.waitFor(async () => expect((await second.adapter.send(thread, result)).messageId).toBeTruthy(), { timeout: 5000 });
    const delivered = world.sent();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ conversationId: 'ops@chatroom', mentionIdList: ['alice'] });
    expect(delivered[0]!.text).toContain('Job k3j4h5m6n7p8 on local succeeded');
    expect(delivered[0]!.text).toContain('up 3 days');
  });
});
