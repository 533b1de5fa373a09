import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { LoginStatus } from '../../../../adapters/wechat/login-status.js';
import type { WechatRawMessage } from '../../../../adapters/wechat/normalize.js';
import { WechatAdapter, type WechatAdapterOptions } from '../../../../adapters/wechat/wechat-adapter.js';
import type { WechatClient, WechatEvents } from '../../../../adapters/wechat/wechat-client.js';
import { AdapterError, silentLogger, type InboundMessage, type ThreadRef } from '../../../../src/core/index.js';
import { manualClock } from '../../../helpers/manual-clock.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/wechat');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as WechatRawMessage;

/** The wechaty side, faked: records what is sent and fails on demand. */
class FakeClient implements WechatClient {
  loggedIn = false;
  stopped = false;
  readonly sent: Array<{ conversationId: string; text: string; mentionIds: string[] }> = [];
  /** Errors the next sends throw, in order (a function may also log the bot out). */
  readonly failures: Array<Error | (() => Error)> = [];

  constructor(readonly events: WechatEvents) {}

  async start() {}
  async stop() {
    this.stopped = true;
  }
  isLoggedIn() {
    return this.loggedIn;
  }
  async sendText(conversationId: string, text: string, mentionIds: readonly string[]) {
    const failure = this.failures.shift();
    if (failure) throw typeof failure === 'function' ? failure() : failure;
    this.sent.push({ conversationId, text, mentionIds: [...mentionIds] });
    return `wx-${this.sent.length}`;
  }
  login() {
    this.loggedIn = true;
    this.events.login({ id: 'wxid_skadi_bot', name: 'Skadi' });
  }
  logout() {
    this.loggedIn = false;
    this.events.logout('test');
  }
}

const room: ThreadRef = { platform: 'wechat', conversationId: '20918372615@chatroom', opaque: { room: true, mention: { id: 'wxid_alice123', name: 'Alice (ops)' } } };
const direct: ThreadRef = { platform: 'wechat', conversationId: 'wxid_bob456', opaque: { room: false } };

describe('WechatAdapter', () => {
  let clock: ReturnType<typeof manualClock>;
  let client: FakeClient;
  let status: LoginStatus;
  let printed: string[];
  let sleeps: number[];
  let inbox: InboundMessage[];

  function adapter(options: Partial<WechatAdapterOptions> = {}) {
    return new WechatAdapter(
      { maxTextLength: 2000, sendIntervalMs: 500, sendRetries: 2, maxMessageAgeMs: 300_000, retryBaseMs: 100, ...options },
      {
        openClient: (events) => (client = new FakeClient(events)),
        status,
        clock,
        logger: silentLogger,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
        },
      },
    );
  }

  beforeEach(() => {
    clock = manualClock(new Date(1772366400000 + 1000));
    printed = [];
    sleeps = [];
    inbox = [];
    status = new LoginStatus({ clock, logger: silentLogger, print: (text) => printed.push(text), pageLink: 'http://skadi/wechat?token=t' });
  });

  async function started(options: Partial<WechatAdapterOptions> = {}) {
    const a = adapter(options);
    await a.start(async (m) => {
      inbox.push(m);
    });
    return a;
  }

  it('says what it can do: no threads, no edits, no files, 2000 characters', () => {
    expect(adapter().capabilities).toEqual({ threads: false, edit: false, files: false, buttons: false, maxTextLength: 2000 });
  });

  it('hands room mentions and direct messages to the sink once; ignores the rest', async () => {
    await started();
    client.login();
    for (const name of ['room-mention', 'room-no-mention', 'self-room', 'image-direct', 'direct', 'room-mention']) client.events.message(fixture(name));
    await vi.waitFor(() => expect(inbox.map((m) => m.text)).toEqual(['local uptime', 'local df -h']));
  });

  it('forgets a message the sink failed on, so that a redelivery gets through', async () => {
    let fail = true;
    const a = adapter();
    await a.start(async (m) => {
      if (fail) {
        fail = false;
        throw new Error('database down');
      }
      inbox.push(m);
    });
    client.events.message(fixture('direct'));
    await vi.waitFor(() => expect(fail).toBe(false));
    client.events.message(fixture('direct'));
    await vi.waitFor(() => expect(inbox).toHaveLength(1));
  });

  it('refuses to send while logged out (AdapterError, nothing sent), and sends after login', async () => {
    const a = await started();
    await expect(a.send(room, { text: 'Job x queued', jobId: 'x' })).rejects.toBeInstanceOf(AdapterError);
    await expect(a.send(room, { text: 'Job x queued', jobId: 'x' })).rejects.toThrow(/not logged in/);
    expect(client.sent).toEqual([]);
    client.login();
    const sent = await a.send(room, { text: 'Job x queued', jobId: 'x' });
    expect(sent.messageId).toBe('wx-1');
    expect(client.sent).toEqual([{ conversationId: '20918372615@chatroom', text: '@Alice (ops)\u2005Job x queued', mentionIds: ['wxid_alice123'] }]);
    client.logout();
    await expect(a.send(direct, { text: 'later' })).rejects.toBeInstanceOf(AdapterError);
    expect(status.snapshot(false).state).toBe('logged-out');
  });

  it('sends a direct reply without a mention, and infers a room from a ThreadRef without its opaque part', async () => {
    const a = await started();
    client.login();
    await a.send(direct, { text: 'hi' });
    await a.send({ platform: 'wechat', conversationId: '123@chatroom' }, { text: 'hello room' });
    expect(client.sent.map((s) => [s.conversationId, s.text, s.mentionIds])).toEqual([
      ['wxid_bob456', 'hi', []],
      ['123@chatroom', 'hello room', []],
    ]);
    await expect(a.send({ platform: 'slack', conversationId: 'C1' }, { text: 'x' })).rejects.toBeInstanceOf(AdapterError);
  });

  it('keeps the order of one conversation and paces every message of the account', async () => {
    const a = await started({ maxTextLength: 200 });
    client.login();
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    await Promise.all([a.send(room, { text: long }), a.send(room, { text: 'after the long one' }), a.send(direct, { text: 'elsewhere' })]);
    const inRoom = client.sent.filter((s) => s.conversationId === room.conversationId);
    expect(inRoom.at(-1)!.text).toContain('after the long one');
    expect(inRoom.length).toBeGreaterThan(2);
    expect(inRoom.slice(0, -1).map((s) => /\((\d+)\/\d+\)/.exec(s.text)![1])).toEqual(inRoom.slice(0, -1).map((_, i) => String(i + 1)));
    // One slot per message: each waited its 500 ms after the one before.
    expect(sleeps.filter((ms) => ms === 500)).toHaveLength(client.sent.length - 1);
  });

  it('retries a failed send with backoff, then gives up with AdapterError for the bus to retry later', async () => {
    const a = await started({ sendIntervalMs: 0 });
    client.login();
    client.failures.push(new Error('ECONNRESET'), new Error('ETIMEDOUT'));
    await a.send(direct, { text: 'third time lucky' });
    expect(client.sent).toHaveLength(1);
    expect(sleeps.length).toBe(2);

    client.failures.push(new Error('boom'), new Error('boom'), new Error('boom'));
    const err = await a.send(direct, { text: 'never' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).message).toMatch(/failed 3 times: boom/);

    client.failures.push(new Error('操作太频繁，请稍后再试'), new Error('again'), new Error('again'));
    const throttled = (await a.send(direct, { text: 'x' }).catch((e: unknown) => e)) as AdapterError;
    expect(throttled.retryAfterMs).toBe(60_000);
  });

  it('gives up at once when the send failed because the bot was logged out', async () => {
    const a = await started({ sendIntervalMs: 0 });
    client.login();
    client.failures.push(() => {
      client.logout();
      return new Error('not logged in');
    });
    await expect(a.send(direct, { text: 'x' })).rejects.toThrow(/logged out while sending/);
    expect(sleeps).toEqual([]);
  });

  it('resumes a split reply where it failed instead of sending its first pieces twice', async () => {
    const a = await started({ maxTextLength: 200, sendIntervalMs: 0, sendRetries: 0 });
    client.login();
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const first = a.send(room, { text: long });
    // Fail the third piece: the first two went out.
    const sendText = client.sendText.bind(client);
    let calls = 0;
    client.sendText = async (...args) => {
      calls += 1;
      if (calls === 3) throw new Error('network');
      return sendText(...args);
    };
    await expect(first).rejects.toBeInstanceOf(AdapterError);
    expect(client.sent).toHaveLength(2);
    const { messageId } = await a.send(room, { text: long });
    expect(messageId).toBe('wx-1');
    const numbers = client.sent.map((s) => /\((\d+)\/(\d+)\)/.exec(s.text)!.slice(1).join('/'));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.at(-1)).toMatch(/^(\d+)\/\1$/);
  });

  it('stops: nothing more reaches the sink, sends fail, stop() twice is fine', async () => {
    const a = await started();
    client.login();
    await a.stop();
    expect(client.stopped).toBe(true);
    client.events.message(fixture('direct'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inbox).toEqual([]);
    await expect(a.send(direct, { text: 'x' })).rejects.toBeInstanceOf(AdapterError);
    await a.stop();
    expect(status.snapshot(false).state).toBe('stopped');
  });
});

describe('LoginStatus', () => {
  it('logs a repeated puppet error once a minute, with the number of repeats', () => {
    const clock = manualClock();
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (obj: unknown) => void warnings.push(obj), child: () => logger };
    const status = new LoginStatus({ clock, logger, print: () => undefined, pageLink: '' });
    for (let i = 0; i < 50; i++) status.error('getaddrinfo ENOTFOUND login.wx.qq.com');
    expect(warnings).toHaveLength(1);
    clock.advance(61_000);
    status.error('getaddrinfo ENOTFOUND login.wx.qq.com');
    expect(warnings[1]).toMatchObject({ repeatedSinceLastLog: 49 });
    status.error('another one');
    expect(warnings).toHaveLength(3);
    expect(status.snapshot(false).events.map((e) => e.message)).toEqual(['another one', 'getaddrinfo ENOTFOUND login.wx.qq.com (and 49 times more)', 'getaddrinfo ENOTFOUND login.wx.qq.com']);
  });

  it('draws each new QR code once, hides it without the token, and tells a reconnect from a first login', () => {
    const clock = manualClock();
    const printed: string[] = [];
    const status = new LoginStatus({ clock, logger: silentLogger, print: (t) => printed.push(t), pageLink: 'http://skadi/wechat?token=t' });
    status.starting('wechaty-puppet-service');
    status.scan('https://login.weixin.qq.com/l/one', 2);
    status.scan('https://login.weixin.qq.com/l/one', 2);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('http://skadi/wechat?token=t');
    expect(printed[0]).toMatch(/[█▀▄]{20}/);
    expect(status.snapshot(true)).toMatchObject({ state: 'waiting-for-scan', qrcode: 'https://login.weixin.qq.com/l/one', loggedIn: false });
    expect(status.snapshot(false).qrcode).toBeNull();
    status.scan('', 3);
    expect(status.snapshot(true)).toMatchObject({ state: 'scanned', qrcode: null });
    status.login({ id: 'wxid_bot', name: 'Skadi' });
    clock.advance(1000);
    status.logout('kicked');
    clock.advance(42_000);
    status.login({ id: 'wxid_bot', name: 'Skadi' });
    const snap = status.snapshot(false);
    expect(snap).toMatchObject({ state: 'logged-in', loggedIn: true, user: { id: 'wxid_bot', name: 'Skadi' } });
    expect(snap.events.map((e) => e.type)).toEqual(['relogin', 'logout', 'login', 'scan', 'scan', 'start']);
    expect(snap.lastEvent?.message).toBe('logged in again as Skadi after 42 s');
  });
});
