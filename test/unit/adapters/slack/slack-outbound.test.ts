import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackConfig } from '../../../../adapters/slack/slack-config.js';
import { createSlackStack, type SlackStack, type SlackStackOptions } from '../../../../adapters/slack/slack-stack.js';
import { AdapterError, silentLogger, systemClock, type ThreadRef } from '../../../../src/core/index.js';
import { shownText, startFakeSlackApi, type FakeSlackApi } from '../../../helpers/slack-fake-api.js';

const FAST = { attempts: 3, backoff: { baseMs: 10, capMs: 20 }, maxRateLimitWaitMs: 5000 };

/** Outbound only: send() and edit() work without start(), as the reply router may call them first. */
describe('slack adapter: replies through the Web API (fake on 127.0.0.1)', () => {
  let fake: FakeSlackApi;
  let stack: SlackStack;
  const thread: ThreadRef = { platform: 'slack', conversationId: 'COPS', threadId: '1700000000.000100' };

  function build(options: SlackStackOptions = { policy: FAST }): SlackStack {
    const config = validateSlackConfig({ mode: 'http', botToken: 'xoxb-test', signingSecret: 'secret-for-tests', apiUrl: fake.apiUrl });
    return createSlackStack(config, { clock: systemClock, logger: silentLogger }, options);
  }

  beforeEach(async () => {
    fake = await startFakeSlackApi();
    stack = build();
  });

  afterEach(async () => {
    await fake.close();
  });

  const posted = () => fake.callsOf('chat.postMessage').filter((c) => c.status === 200);

  it('posts in the thread with the bot token, escaped so that job output pings nobody, links not unfurled', async () => {
    const { messageId } = await stack.adapter.send(thread, { text: 'Job a1 said <!channel> & <@U1> 你好 👋🏽', status: 'succeeded', fields: [{ label: 'Agent', value: 'local' }] });
    const [call] = posted();
    expect(call!.token).toBe('xoxb-test');
    expect(call!.params).toMatchObject({ channel: 'COPS', thread_ts: '1700000000.000100', unfurl_links: 'false', unfurl_media: 'false' });
    expect(call!.params.text).toBe('Job a1 said &lt;!channel&gt; &amp; &lt;@U1&gt; 你好 👋🏽');
    const message = fake.messages().find((m) => m.ts === messageId)!;
    expect(shownText(message)).toBe(':white_check_mark: Job a1 said <!channel> & <@U1> 你好 👋🏽\n*Agent*\nlocal');
  });

  it('waits out a 429 as Retry-After says, keeping the channel\'s replies in order, without holding up other channels', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const first = stack.adapter.send(thread, { text: 'first' });
    await new Promise((r) => setTimeout(r, 50));
    const second = stack.adapter.send(thread, { text: 'second' });
    const elsewhere = await stack.adapter.send({ platform: 'slack', conversationId: 'COTHER', threadId: '1.1' }, { text: 'elsewhere' });
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const order = posted().map((c) => c.params.text);
    expect(order).toEqual(['elsewhere', 'first', 'second']);
    expect(elsewhere.messageId).toBeTruthy();
    const retry = fake.callsOf('chat.postMessage').filter((c) => c.params.text === 'first');
    expect(retry.map((c) => c.status)).toEqual([429, 200]);
    expect(retry[1]!.at - retry[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('gives up on a rate limit longer than its budget with an AdapterError carrying retryAfterMs', async () => {
    stack = build({ policy: { ...FAST, maxRateLimitWaitMs: 500 } });
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const err = await stack.adapter.send(thread, { text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).retryAfterMs).toBe(7000);
    expect(posted()).toEqual([]);
  });

  it('retries 5xx with backoff, then throws an AdapterError; a platform error is not retried', async () => {
    fake.failNext('chat.postMessage', { status: 503 }, 2);
    await stack.adapter.send(thread, { text: 'after two failures' });
    expect(fake.callsOf('chat.postMessage').map((c) => c.status)).toEqual([503, 503, 200]);

    fake.failNext('chat.postMessage', { status: 500 }, 3);
    await expect(stack.adapter.send(thread, { text: 'never' })).rejects.toThrow(/failed 3 times: HTTP 500/);

    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const before = fake.calls.length;
    await expect(stack.adapter.send(thread, { text: 'nowhere' })).rejects.toThrow(/channel_not_found/);
    expect(fake.calls.length - before).toBe(1);
  });

  it('edits in place with chat.update; an edit of a message that is gone is an AdapterError', async () => {
    const { messageId } = await stack.adapter.send(thread, { text: 'Job b2 queued', status: 'queued', jobId: 'b2', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'b2' }] });
    const queued = fake.messages().find((m) => m.ts === messageId)!;
    expect(queued.blocks!.at(-1)).toMatchObject({ type: 'actions', elements: [{ action_id: 'skadi_cancel', value: 'b2', style: 'danger' }] });
    await stack.adapter.edit!(thread, messageId, { text: 'Job b2 succeeded', status: 'succeeded', code: { content: 'up 3 days' } });
    const update = fake.callsOf('chat.update')[0]!;
    expect(update.params).toMatchObject({ channel: 'COPS', ts: messageId });
    const done = fake.messages().find((m) => m.ts === messageId)!;
    expect(done.edited).toBe(true);
    expect(shownText(done)).toBe(':white_check_mark: Job b2 succeeded\nup 3 days');
    await expect(stack.adapter.edit!(thread, '1.000000', { text: 'x' })).rejects.toThrow(/message_not_found/);
  });

  it('uploads output longer than a message as a file in the thread (getUploadURLExternal, POST, completeUploadExternal)', async () => {
    const content = `${'é long line of output\n'.repeat(400)}end`;
    fake.failNext('files.completeUploadExternal', { status: 429, retryAfter: 1 });
    const { messageId } = await stack.adapter.send(thread, { text: 'Job c3 succeeded', status: 'succeeded', jobId: 'c3', code: { content, filename: 'c3.txt' } });
    const note = fake.messages().find((m) => m.ts === messageId)!;
    expect(shownText(note)).toContain('attached below as c3.txt');
    expect(fake.callsOf('files.getUploadURLExternal')[0]!.params).toMatchObject({ filename: 'c3.txt', length: String(Buffer.byteLength(content)) });
    // The bytes went up once; only the rate-limited completion was repeated.
    expect(fake.callsOf('upload')).toHaveLength(1);
    expect(fake.callsOf('files.completeUploadExternal').map((c) => c.status)).toEqual([429, 200]);
    expect(fake.callsOf('files.completeUploadExternal')[1]!.params).toMatchObject({ channel_id: 'COPS', thread_ts: '1700000000.000100', files: [{ id: expect.any(String), title: 'c3.txt' }] });
    const file = fake.thread('COPS', '1700000000.000100').find((m) => m.file)!;
    expect(file.file).toMatchObject({ name: 'c3.txt', content });
  });

  it('splits a text longer than a message into numbered messages, in order, each within the limit', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `line ${i} <tag> & more`).join('\n');
    await stack.adapter.send(thread, { text });
    const shown = fake.thread('COPS', '1700000000.000100').map(shownText);
    expect(shown.length).toBeGreaterThan(2);
    for (const piece of shown) expect(piece.length).toBeLessThanOrEqual(stack.adapter.capabilities.maxTextLength);
    expect(shown.map((s) => s.replace(/^\(\d+\/\d+\) /, '')).join('')).toBe(text);
  });

  it('starts a thread when the ThreadRef has none: later pieces and the file go under the first message', async () => {
    const root: ThreadRef = { platform: 'slack', conversationId: 'CNEW' };
    const { messageId } = await stack.adapter.send(root, { text: 'x', code: { content: 'y'.repeat(5000), filename: 'y.txt' } });
    expect(fake.messages().find((m) => m.ts === messageId)!.threadTs).toBeUndefined();
    expect(fake.thread('CNEW', messageId).some((m) => m.file?.content === 'y'.repeat(5000))).toBe(true);
  });

  it('refuses a ThreadRef of another platform', async () => {
    await expect(stack.adapter.send({ platform: 'web', conversationId: 'a/b' }, { text: 'x' })).rejects.toBeInstanceOf(AdapterError);
  });
});
