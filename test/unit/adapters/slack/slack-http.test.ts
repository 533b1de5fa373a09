import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signSlackRequest } from '../../../../adapters/slack/verify-signature.js';
import { shownText } from '../../../helpers/slack-fake-api.js';
import { blockAction, directMessageEvent, eventEnvelope, mentionEvent, postCommand, postEvent, postInteraction, signedPost, slashCommand } from '../../../helpers/slack-payloads.js';
import { startSlackRig, type SlackRig } from '../../../helpers/slack-test-rig.js';

const WAIT = { timeout: 5000, interval: 20 };

describe('slack adapter over the HTTP Events API (real Bolt app, fake Web API)', () => {
  let rig: SlackRig;

  afterEach(async () => {
    await rig?.close();
  });

  const mention = (user: string, text: string, over: Parameters<typeof mentionEvent>[0] extends infer T ? Partial<T> : never = {}) => eventEnvelope(mentionEvent({ user, text: `<@UBOT> ${text}`, ...over }));

  it('answers url_verification with the challenge, once the request is signed', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const body = { token: 'x', challenge: 'c-12345', type: 'url_verification' };
    const res = await postEvent(rig.eventsUrl, body, { secret: rig.secret });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'c-12345' });
    expect((await postEvent(rig.eventsUrl, body, { secret: 'not-the-secret' })).status).toBe(401);
  });

  it('refuses unsigned, wrongly signed and tampered requests with 401, and nothing reaches the dispatcher', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const body = JSON.stringify(mention('UALICE', 'local uptime'));
    const now = String(Math.floor(Date.now() / 1000));
    const unsigned = await fetch(rig.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect((await postEvent(rig.eventsUrl, JSON.parse(body), { secret: 'wrong-secret' })).status).toBe(401);
    // Signed for one body, sent with another.
    const tampered = await signedPost(rig.eventsUrl, body.replace('uptime', 'rm -rf'), 'application/json', { secret: rig.secret, timestamp: Number(now), signature: signSlackRequest(rig.secret, now, body) });
    expect(tampered.status).toBe(401);
    expect((await signedPost(rig.eventsUrl, body, 'application/json', { secret: rig.secret, signature: 'v1=abc' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.inbound).toEqual([]);
    expect(rig.chat.jobs.submitted).toEqual([]);
  });

  it('refuses a correctly signed request whose timestamp is more than 5 minutes old (or ahead)', async () => {
    rig = await startSlackRig({ mode: 'http' });
    // A few seconds past the limit either way: the server reads its clock a moment later than this
    // test, so `now + 301` could be 300 s ahead by then (and accepted) on a slow machine.
    const now = Math.floor(Date.now() / 1000);
    expect((await postEvent(rig.eventsUrl, mention('UALICE', 'local uptime'), { secret: rig.secret, timestamp: now - 305 })).status).toBe(401);
    expect((await postEvent(rig.eventsUrl, mention('UALICE', 'local uptime'), { secret: rig.secret, timestamp: Math.floor(Date.now() / 1000) + 305 })).status).toBe(401);
    expect((await postEvent(rig.eventsUrl, mention('UALICE', 'local uptime'), { secret: rig.secret, timestamp: now - 240 })).status).toBe(200);
    expect(rig.chat.jobs.submitted).toHaveLength(1);
  });

  it('turns a mention into a job for slack:<team>/<user>, with the display name from users.info (cached)', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const event = mention('UALICE', 'local uptime', { channel: 'COPS', ts: '1700000000.000100' });
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret })).status).toBe(200);
    expect(rig.chat.jobs.submitted).toEqual([
      {
        agent: 'local',
        message: 'uptime',
        requester: { identity: 'slack:TFAKE/UALICE', displayName: 'Alice' },
        thread: { platform: 'slack', conversationId: 'COPS', threadId: '1700000000.000100', opaque: { team: 'TFAKE' } },
        // The Slack message id (<channel>:<ts>) is the job's idempotency key: a retried delivery makes no second job.
        idempotency: expect.objectContaining({ scope: 'chat:slack', key: 'COPS:1700000000.000100' }),
      },
    ]);
    await postEvent(rig.eventsUrl, mention('UALICE', 'local date'), { secret: rig.secret });
    expect(rig.chat.jobs.submitted).toHaveLength(2);
    expect(rig.fake.callsOf('users.info')).toHaveLength(1);
  });

  it('never makes a second job from a retry (X-Slack-Retry-Num), nor from the app_mention + message.im pair of one DM', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const event = mention('UALICE', 'local uptime');
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret })).status).toBe(200);
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret, retryNum: 1 })).status).toBe(200);
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret, retryNum: 2 })).status).toBe(200);
    const dm = directMessageEvent({ user: 'UALICE', text: 'local date', ts: '1700000001.000200' });
    await postEvent(rig.eventsUrl, eventEnvelope(dm), { secret: rig.secret });
    await postEvent(rig.eventsUrl, eventEnvelope({ ...dm, type: 'app_mention', text: '<@UBOT> local date' }), { secret: rig.secret });
    expect(rig.inbound.map((m) => m.id)).toHaveLength(5);
    expect(rig.chat.jobs.submitted.map((j) => j.message)).toEqual(['uptime', 'date']);
  });

  it('answers 500 when the dispatcher cannot take the message, so that Slack retries; the retry makes the one job', async () => {
    let failures = 1;
    rig = await startSlackRig({
      mode: 'http',
      beforeDispatch: async () => {
        if (failures-- > 0) throw new Error('database unavailable');
      },
    });
    const event = mention('UALICE', 'local uptime');
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret })).status).toBe(500);
    expect(rig.chat.jobs.submitted).toEqual([]);
    expect((await postEvent(rig.eventsUrl, event, { secret: rig.secret, retryNum: 1 })).status).toBe(200);
    expect(rig.chat.jobs.submitted).toHaveLength(1);
  });

  it('acknowledges within the deadline even when the dispatcher is slow', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    rig = await startSlackRig({ mode: 'http', stack: { ackDeadlineMs: 300 }, beforeDispatch: () => gate });
    const started = Date.now();
    const res = await postEvent(rig.eventsUrl, mention('UALICE', 'local uptime'), { secret: rig.secret });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    release();
    await vi.waitFor(() => expect(rig.chat.jobs.submitted).toHaveLength(1), WAIT);
  });

  it('ignores bots, its own messages and message subtypes such as edits, and still acknowledges them', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const bodies = [
      eventEnvelope(mentionEvent({ user: 'UOTHERBOT', text: '<@UBOT> local uptime', botId: 'B999' })),
      eventEnvelope(directMessageEvent({ user: 'UBOT', text: 'local uptime' })),
      eventEnvelope({ type: 'message', subtype: 'message_changed', hidden: true, channel: 'D1', channel_type: 'im', ts: '1.2', message: { user: 'UALICE', text: 'local uptime', ts: '1.1' } }),
      eventEnvelope(directMessageEvent({ user: 'UALICE', text: 'local uptime', subtype: 'message_deleted' })),
      eventEnvelope({ type: 'member_joined_channel', user: 'UALICE', channel: 'C1' }),
    ];
    for (const body of bodies) expect((await postEvent(rig.eventsUrl, body, { secret: rig.secret })).status).toBe(200);
    expect(rig.inbound).toEqual([]);
  });

  it('runs /skadi: acknowledged at once (ephemeral, saying where the answer goes), then a thread root in the channel carries the job', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const res = await postCommand(rig.eventsUrl.replace('/events', '/commands'), slashCommand({ user: 'UALICE', text: 'local uptime', channel: 'COPS' }), { secret: rig.secret });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('new thread in this channel') });
    await vi.waitFor(() => expect(rig.chat.jobs.submitted).toHaveLength(1), WAIT);
    const root = rig.fake.messages().find((m) => m.channel === 'COPS')!;
    expect(root.threadTs).toBeUndefined();
    expect(shownText(root)).toBe('<@UALICE> asked: `/skadi local uptime`');
    expect(rig.chat.jobs.submitted[0]!.thread).toMatchObject({ conversationId: 'COPS', threadId: root.ts });
  });

  it('answers an empty /skadi with its usage and starts nothing', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const res = await postCommand(rig.eventsUrl, slashCommand({ user: 'UALICE', text: '  ' }), { secret: rig.secret });
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Usage: /skadi <agent> <message>') });
    expect(rig.fake.callsOf('chat.postMessage')).toEqual([]);
  });

  it('turns a Cancel click into `cancel <job>` from the clicker, with the same access check as the command', async () => {
    rig = await startSlackRig({ mode: 'http' });
    await postEvent(rig.eventsUrl, mention('UALICE', 'local sleep 60', { channel: 'COPS', ts: '1700000000.000500' }), { secret: rig.secret });
    const job = [...rig.chat.jobs.jobs.values()][0]!;
    const click = (user: string) => postInteraction(rig.eventsUrl.replace('/events', '/interactions'), blockAction({ user, actionId: 'skadi_cancel', value: job.id, channel: 'COPS', messageTs: '1700000000.000900', threadTs: '1700000000.000500' }), { secret: rig.secret });

    // A click is acknowledged at once; the command it stands for follows.
    expect((await click('UBOB')).status).toBe(200);
    await vi.waitFor(() => expect(rig.inbound).toHaveLength(2), WAIT);
    await rig.dispatcher.drain();
    expect(rig.chat.jobs.jobs.get(job.id)!.state).toBe('queuing');
    expect(rig.inbound.at(-1)).toMatchObject({ text: `cancel ${job.id}`, sender: { identity: 'slack:TFAKE/UBOB' }, thread: { conversationId: 'COPS', threadId: '1700000000.000500' } });
    await vi.waitFor(() => expect(rig.fake.thread('COPS', '1700000000.000500').map(shownText).join('\n')).toMatch(/Sorry, /), WAIT);

    expect((await click('UALICE')).status).toBe(200);
    await vi.waitFor(() => expect(rig.chat.jobs.jobs.get(job.id)!.state).toBe('cancelled'), WAIT);
    await vi.waitFor(() => expect(rig.fake.thread('COPS', '1700000000.000500').map(shownText).join('\n')).toContain(`Cancelled job ${job.id}`), WAIT);
  });

  it('answers 503 while the adapter is stopped (Slack retries later)', async () => {
    rig = await startSlackRig({ mode: 'http' });
    await rig.stack.adapter.stop();
    expect((await postEvent(rig.eventsUrl, mention('UALICE', 'local uptime'), { secret: rig.secret })).status).toBe(503);
    expect(rig.inbound).toEqual([]);
  });

  it('keeps its raw-body parser to its own routes: the rest of the server still parses JSON', async () => {
    rig = await startSlackRig({ mode: 'http' });
    const app = Fastify();
    await app.register(rig.stack.plugin!);
    app.post('/other', async (req) => ({ type: typeof req.body, body: req.body }));
    const res = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } });
    expect(res.json()).toEqual({ type: 'object', body: { a: 1 } });
    const slack = await app.inject({ method: 'POST', url: '/slack/events', payload: { a: 1 } });
    expect(slack.statusCode).toBe(401);
    await app.close();
  });
});

