import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage, MessageSink, OutboundMessage, ThreadRef } from '../../src/core/index.js';
import type { ChatAdapterHarness, ReceivedMessage } from './chat-adapter-harness.js';

export type { ChatAdapterHarness, ReceivedMessage } from './chat-adapter-harness.js';

const WAIT = { timeout: 5_000, interval: 20 };

let idCounter = 0;
/** Ids every platform's peer accepts: 8-64 characters of [A-Za-z0-9]. */
function platformId(prefix: string): string {
  idCounter += 1;
  return `${prefix}${Date.now().toString(36)}${idCounter.toString().padStart(4, '0')}`;
}

/** Letters and digits only, so platform escaping (`&amp;`, markdown) cannot change what is compared. */
function longLines(minLength: number, tag: string): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 1; length < minLength; i++) {
    const line = `${tag} line ${String(i).padStart(6, '0')} alpha beta gamma delta epsilon`;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

/** Content without split markers, markup or whitespace: what must survive splitting and rendering. */
function essence(text: string): string {
  return text.replace(/\(\d+\/\d+\)/g, '').replace(/[^A-Za-z0-9]/g, '');
}

/** The last version of each message, in order of first appearance. */
function latest(received: ReceivedMessage[]): ReceivedMessage[] {
  const byId = new Map<string, ReceivedMessage>();
  for (const message of received) {
    byId.delete(message.messageId);
    byId.set(message.messageId, message);
  }
  const order = [...new Set(received.map((m) => m.messageId))];
  return order.map((id) => byId.get(id)!);
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The behaviour every ChatAdapter must show, run unchanged against each adapter and its fake
 * (`chatAdapterContract('web', async () => …)` in that adapter's test file).
 */
export function chatAdapterContract(name: string, factory: () => Promise<ChatAdapterHarness>): void {
  describe(`ChatAdapter contract: ${name}`, () => {
    let harness: ChatAdapterHarness;
    let inbox: InboundMessage[];
    let sink: MessageSink;

    beforeEach(async () => {
      harness = await factory();
      inbox = [];
      sink = async (message) => {
        inbox.push(message);
      };
    });

    afterEach(async () => {
      await harness.adapter.stop().catch(() => undefined);
      await harness.close();
    });

    async function start(): Promise<void> {
      await harness.adapter.start((message) => sink(message));
    }

    /** Delivers one message and returns the InboundMessage the sink got for it. */
    async function deliverOne(input: Parameters<ChatAdapterHarness['deliver']>[0]): Promise<InboundMessage> {
      const before = inbox.length;
      await harness.deliver(input);
      await vi.waitFor(() => expect(inbox.length).toBeGreaterThan(before), WAIT);
      return inbox[before]!;
    }

    /** Sends and returns the messages the peer got from this send (latest versions). */
    async function sendAndCollect(thread: ThreadRef, message: OutboundMessage): Promise<{ messageId: string; arrived: ReceivedMessage[] }> {
      const before = new Set((await harness.received()).map((m) => m.messageId));
      const { messageId } = await harness.adapter.send(thread, message);
      let arrived: ReceivedMessage[] = [];
      await vi.waitFor(async () => {
        arrived = latest(await harness.received()).filter((m) => !before.has(m.messageId));
        expect(arrived.map((m) => m.messageId)).toContain(messageId);
      }, WAIT);
      return { messageId, arrived };
    }

    it('declares its platform and capabilities', () => {
      const { adapter } = harness;
      expect(adapter.platform).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(Number.isInteger(adapter.capabilities.maxTextLength)).toBe(true);
      expect(adapter.capabilities.maxTextLength).toBeGreaterThan(100);
      if (adapter.capabilities.edit) expect(typeof adapter.edit).toBe('function');
    });

    it('hands a delivered message to the sink once, normalised', async () => {
      await start();
      const id = platformId('first');
      const message = await deliverOne({ text: 'local uptime', user: 'alice', id });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(inbox).toHaveLength(1);
      const { platform } = harness.adapter;
      expect(message.platform).toBe(platform);
      expect(message.thread.platform).toBe(platform);
      expect(message.thread.conversationId).toBeTruthy();
      expect(message.id).toBeTruthy();
      expect(message.sender.identity.startsWith(`${platform}:`)).toBe(true);
      expect(message.sender.identity).toContain('alice');
      expect(message.sender.isBot).toBe(false);
      expect(message.mentionsBot).toBe(true);
      expect(message.text).toBe('local uptime');
      expect(message.receivedAt).toBeInstanceOf(Date);
    });

    it('keeps CJK, emoji, full-width spaces and quotes intact', async () => {
      await start();
      const text = 'local echo 你好\u3000世界 👋🏽 👨‍👩‍👧 "quoted words" ‘curly’';
      const message = await deliverOne({ text, user: 'alice' });
      expect(message.text).toBe(text);
    });

    it('gives a platform retry the same message id, so the dispatcher can drop it', async () => {
      await start();
      const id = platformId('retry');
      await harness.deliver({ text: 'local date', user: 'alice', id });
      await harness.deliver({ text: 'local date', user: 'alice', id });
      await vi.waitFor(() => expect(inbox.length).toBeGreaterThan(0), WAIT);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(inbox.length).toBeLessThanOrEqual(2);
      expect(new Set(inbox.map((m) => m.id)).size).toBe(1);
      const other = await deliverOne({ text: 'local date', user: 'alice', id: platformId('other') });
      expect(other.id).not.toBe(inbox[0]!.id);
    });

    it('never passes off a bot message as a person', async () => {
      await start();
      await harness.deliver({ text: 'local uptime', user: 'somebot', isBot: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Platforms may drop bot messages themselves; whatever reaches the sink must say it is a bot.
      for (const message of inbox) expect(message.sender.isBot).toBe(true);
    });

    it('survives a sink that fails, and keeps delivering', async () => {
      let fail = true;
      sink = async (message) => {
        if (fail) {
          fail = false;
          throw new Error('sink failed');
        }
        inbox.push(message);
      };
      await start();
      await harness.deliver({ text: 'local uptime', user: 'alice' }).catch(() => undefined);
      const message = await deliverOne({ text: 'local date', user: 'alice' });
      expect(message.text).toBe('local date');
    });

    it('sends into the thread of a delivered message, even from a stored (JSON) ThreadRef', async () => {
      await start();
      const first = await deliverOne({ text: 'local uptime', user: 'alice' });
      const stored = JSON.parse(JSON.stringify(first.thread)) as ThreadRef;
      const one = await sendAndCollect(stored, { text: 'reply one' });
      expect(one.messageId).toBeTruthy();
      const reply = one.arrived.find((m) => m.messageId === one.messageId)!;
      expect(reply.text).toContain('reply one');
      expect(reply.edited).toBe(false);

      // The user answers in that thread: the adapter must map it to the same ThreadRef.
      const second = await deliverOne({ text: 'local date', user: 'alice', conversation: reply.conversationId, thread: reply.threadId });
      expect(second.thread.conversationId).toBe(first.thread.conversationId);
      if (harness.adapter.capabilities.threads) expect(second.thread.threadId).toBe(first.thread.threadId);

      const two = await sendAndCollect(second.thread, { text: 'reply two' });
      expect(two.messageId).not.toBe(one.messageId);
      const again = two.arrived.find((m) => m.messageId === two.messageId)!;
      expect(again.conversationId).toBe(reply.conversationId);
      expect(again.threadId).toBe(reply.threadId);
    });

    it('edits a sent message in place when it can, and offers no edit when it says it cannot', async () => {
      if (!harness.adapter.capabilities.edit) {
        // The reply router then sends a new message per state; an edit() it might call anyway would be a lie.
        expect(harness.adapter.edit).toBeUndefined();
        return;
      }
      await start();
      const first = await deliverOne({ text: 'local uptime', user: 'alice' });
      const { messageId } = await sendAndCollect(first.thread, { text: 'Job x queued', status: 'queued' });
      await harness.adapter.edit!(first.thread, messageId, { text: 'Job x finished', status: 'succeeded' });
      await vi.waitFor(async () => {
        const edited = latest(await harness.received()).find((m) => m.messageId === messageId)!;
        expect(edited.text).toContain('Job x finished');
        expect(edited.text).not.toContain('queued');
        expect(edited.edited).toBe(true);
      }, WAIT);
      const ids = (await harness.received()).map((m) => m.messageId);
      expect(new Set(ids).size).toBe(latest(await harness.received()).length);
    });

    it('delivers output longer than maxTextLength complete: as a file, or split in order', async () => {
      await start();
      const first = await deliverOne({ text: 'local uptime', user: 'alice' });
      const { maxTextLength, files } = harness.adapter.capabilities;
      const content = longLines(Math.floor(maxTextLength * 2.5), 'out');
      const { arrived } = await sendAndCollect(first.thread, { text: 'Job x succeeded', status: 'succeeded', jobId: 'x', code: { content, filename: 'x.txt' } });
      for (const message of arrived) expect(message.text.length).toBeLessThanOrEqual(maxTextLength);
      if (files) {
        expect(arrived.some((m) => m.file?.content === content)).toBe(true);
      } else {
        expect(essence(arrived.map((m) => m.text).join(''))).toContain(essence(content));
      }
    });

    it('delivers a text longer than maxTextLength complete, never cut', async () => {
      await start();
      const first = await deliverOne({ text: 'local uptime', user: 'alice' });
      const { maxTextLength } = harness.adapter.capabilities;
      const text = longLines(Math.floor(maxTextLength * 2.5), 'text');
      const { arrived } = await sendAndCollect(first.thread, { text });
      for (const message of arrived) expect(message.text.length).toBeLessThanOrEqual(maxTextLength);
      const whole = arrived.map((m) => `${m.text}${m.file?.content ?? ''}`).join('');
      const asFile = arrived.some((m) => m.file?.content === text);
      expect(asFile || essence(whole).includes(essence(text))).toBe(true);
    });

    it('stops cleanly: no more messages reach the sink, and stop() is idempotent', async () => {
      await start();
      await deliverOne({ text: 'local uptime', user: 'alice' });
      await harness.adapter.stop();
      const count = inbox.length;
      // The peer may fail to reach a stopped adapter; it must not hang or reach the sink.
      await within(harness.deliver({ text: 'local date', user: 'alice' }).catch(() => undefined), 2_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(inbox).toHaveLength(count);
      await harness.adapter.stop();
    });
  });
}
