import { afterEach, describe, expect, it } from 'vitest';
import { validateTeamsConfig } from '../../../../adapters/teams/teams-config.js';
import { createDispatcher, type Dispatcher } from '../../../../src/chat/dispatcher.js';
import { renderQueued, renderResult, renderRunning } from '../../../../src/chat/render-job.js';
import { AdapterError, silentLogger, type InboundMessage, type Job, type ThreadRef } from '../../../../src/core/index.js';
import { chatFixture, type ChatFixture } from '../../../helpers/chat-fixture.js';
import { MemoryKeyValueStore } from '../../../helpers/memory-kv.js';
import { TEST_CHANNEL, TEST_TENANT, postActivity, teamsMessage } from '../../../helpers/teams-activities.js';
import { startFakeConnector, type FakeConnector } from '../../../helpers/teams-fake-connector.js';
import { startTeamsBot, type TeamsBot } from '../../../helpers/teams-test-server.js';

const ALICE = '6c4b2f0e-9a1d-4e3b-8f7c-2d5a6b8c9e01';
const ACCESS = { groups: {}, rules: [{ who: [`teams:${ALICE}`], agents: ['local'], commands: ['*'] }] };

let connector: FakeConnector;
const bots: TeamsBot[] = [];

async function bot(...args: Parameters<typeof startTeamsBot>): Promise<TeamsBot> {
  const started = await startTeamsBot(...args);
  bots.push(started);
  return started;
}

function dispatcherFor(f: ChatFixture): Dispatcher {
  return createDispatcher({}, { jobs: f.jobs, commands: f.registry, access: f.access, audit: f.audit, kv: new MemoryKeyValueStore(f.clock), publish: async () => undefined, reply: async () => undefined, clock: f.clock, logger: silentLogger });
}

afterEach(async () => {
  for (const b of bots.splice(0)) await b.close();
  await connector?.close();
});

describe('Teams adapter against a local Bot Connector', () => {
  it('turns a channel activity into one job, even when Teams delivers it twice', async () => {
    connector = await startFakeConnector();
    const f = chatFixture(ACCESS);
    f.jobs.addAgent('local');
    const teams = await bot();
    await teams.adapter.start(dispatcherFor(f));
    const activity = teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE, userName: 'Alice' });

    expect((await postActivity(teams.url, activity)).status).toBe(200);
    expect((await postActivity(teams.url, activity)).status).toBe(200);

    expect(f.jobs.submitted).toHaveLength(1);
    const [submitted] = f.jobs.submitted;
    expect(submitted).toMatchObject({ agent: 'local', message: 'uptime', requester: { identity: `teams:${ALICE}`, displayName: 'Alice' } });
    expect(submitted!.thread).toMatchObject({ platform: 'teams', conversationId: TEST_CHANNEL, threadId: activity.id });
    // Nothing was sent in-turn: every reply comes from the reply router, proactively.
    expect(connector.records).toHaveLength(0);
  });

  it('replies proactively after a restart: a new adapter, the ThreadRef from storage, into the channel thread; then updates it in place', async () => {
    connector = await startFakeConnector();
    const f = chatFixture(ACCESS);
    f.jobs.addAgent('local');
    const first = await bot();
    await first.adapter.start(dispatcherFor(f));
    const activity = teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE });
    expect((await postActivity(first.url, activity)).status).toBe(200);
    const stored = JSON.stringify(f.jobs.submitted[0]!.thread);
    await first.adapter.stop();
    await first.close();

    // "Restart": a fresh adapter (and CloudAdapter) that only has what the job row keeps.
    const second = await bot();
    const thread = JSON.parse(stored) as ThreadRef;
    const job = [...f.jobs.jobs.values()][0]!;
    const { messageId } = await second.adapter.send(thread, renderQueued(job));

    const root = activity.id as string;
    const conversationId = `${TEST_CHANNEL};messageid=${root}`;
    const [ack] = connector.delivered();
    expect(ack).toMatchObject({ method: 'POST', conversationId, urlActivityId: root, replyToId: root, messageId });
    expect(ack!.url).toBe(`/v3/conversations/${encodeURIComponent(conversationId)}/activities/${root}`);
    expect(ack!.activity).toMatchObject({ type: 'message', conversation: { id: conversationId, tenantId: TEST_TENANT }, from: { id: '28:8f0d2c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f' } });
    expect(ack!.card).toMatchObject({ type: 'AdaptiveCard', body: expect.arrayContaining([expect.objectContaining({ text: '⏳ Queued' })]) });

    const running: Job = { ...job, state: 'running', runningAt: new Date() };
    await second.adapter.edit(thread, messageId, renderRunning(running));
    const done: Job = { ...running, state: 'succeeded', exitCode: 0, output: ' 10:00 up 3 days, load average: 0.01\n', finishedAt: new Date() };
    await second.adapter.edit(thread, messageId, renderResult(done, null, new Date()));

    const records = connector.delivered();
    expect(records.map((r) => r.method)).toEqual(['POST', 'PUT', 'PUT']);
    for (const update of records.slice(1)) {
      expect(update).toMatchObject({ conversationId, urlActivityId: messageId, messageId });
      expect(update.activity.id).toBe(messageId);
    }
    const result = records[2]!.card!;
    expect(JSON.stringify(result.body)).toContain('✅ Succeeded');
    expect(result.body).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'CodeBlock', codeSnippet: done.output })]));
    expect(records[2]!.text).toContain('load average');
  });

  it('retries 429 (after Retry-After) and 5xx in order: a later reply to the same conversation waits its turn', async () => {
    connector = await startFakeConnector();
    const teams = await bot();
    const inbox: InboundMessage[] = [];
    await teams.adapter.start(async (m) => void inbox.push(m));
    await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE }));
    const thread = inbox[0]!.thread;

    connector.failNext({ status: 429, headers: { 'retry-after': '1' } }, { status: 503 }, { status: 500 });
    const started = Date.now();
    const a = teams.adapter.send(thread, { text: 'reply A' });
    const b = teams.adapter.send(thread, { text: 'reply B' });
    const [sentA, sentB] = await Promise.all([a, b]);

    expect(connector.records.map((r) => [r.status, r.text])).toEqual([
      [429, 'reply A'],
      [503, 'reply A'],
      [500, 'reply A'],
      [200, 'reply A'],
      [200, 'reply B'],
    ]);
    expect(connector.records[1]!.at - started).toBeGreaterThanOrEqual(950);
    expect(connector.delivered().map((r) => r.messageId)).toEqual([sentA.messageId, sentB.messageId]);
  });

  it('gives up with AdapterError (so the bus redelivers) when the connector keeps failing, and keeps serving after', async () => {
    connector = await startFakeConnector();
    const teams = await bot({ retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 5 } });
    const inbox: InboundMessage[] = [];
    await teams.adapter.start(async (m) => void inbox.push(m));
    await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE }));
    const thread = inbox[0]!.thread;

    connector.failNext({ status: 502 }, { status: 502 }, { status: 502 });
    await expect(teams.adapter.send(thread, { text: 'lost?' })).rejects.toThrow(AdapterError);
    connector.failNext({ status: 429, headers: { 'retry-after': '600' } });
    const throttled = await teams.adapter.send(thread, { text: 'later' }).catch((err: unknown) => err);
    expect(throttled).toBeInstanceOf(AdapterError);
    expect((throttled as AdapterError).retryAfterMs).toBe(600_000);
    connector.failNext({ status: 403, body: { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } } });
    await expect(teams.adapter.send(thread, { text: 'removed' })).rejects.toThrow(/refused \(HTTP 403/);
    await expect(teams.adapter.send(thread, { text: 'fine again' })).resolves.toMatchObject({ messageId: expect.any(String) });
    expect(connector.records.filter((r) => r.text === 'lost?')).toHaveLength(3);
  });

  it('sends a card the connector refuses again as plain text', async () => {
    connector = await startFakeConnector();
    const teams = await bot();
    const inbox: InboundMessage[] = [];
    await teams.adapter.start(async (m) => void inbox.push(m));
    await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE }));
    connector.failNext({ status: 400, body: { error: { code: 'BadArgument', message: 'Unknown attachment type' } } });
    await teams.adapter.send(inbox[0]!.thread, { text: 'Job x succeeded', status: 'succeeded', code: { content: 'output' } });
    const [refused, plain] = connector.records;
    expect(refused!.card).not.toBeNull();
    expect(plain).toMatchObject({ status: 200, card: null, text: 'Job x succeeded\n\noutput' });
    expect(plain!.activity.textFormat).toBe('plain');
  });

  it('answers a personal chat with a plain send to the chat (no thread), addressed to the user', async () => {
    connector = await startFakeConnector();
    const teams = await bot();
    const inbox: InboundMessage[] = [];
    await teams.adapter.start(async (m) => void inbox.push(m));
    await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, kind: 'personal', text: 'help', user: ALICE }));
    expect(inbox[0]).toMatchObject({ text: 'help', mentionsBot: true });
    await teams.adapter.send(inbox[0]!.thread, { text: 'Here is what I can do' });
    const [sent] = connector.delivered();
    expect(sent).toMatchObject({ method: 'POST', conversationId: 'a:1personalChatWithAlice', urlActivityId: null, replyToId: null });
    expect(sent!.activity.recipient).toMatchObject({ id: `29:${ALICE}`, aadObjectId: ALICE });
  });

  it('ignores other tenants when the bot is limited to its own, and audits it', async () => {
    connector = await startFakeConnector();
    const f = chatFixture(ACCESS);
    const config = { ...validateTeamsConfig({ allowUnauthenticated: true }), allowedTenants: [TEST_TENANT] };
    const teams = await bot({ config }, { audit: f.audit });
    const inbox: InboundMessage[] = [];
    await teams.adapter.start(async (m) => void inbox.push(m));
    const stranger = teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE, tenantId: '11111111-2222-4333-8444-555555555555' });
    expect((await postActivity(teams.url, stranger)).status).toBe(200);
    expect(inbox).toHaveLength(0);
    expect(await f.audit.list(10)).toEqual([expect.objectContaining({ action: 'teams.tenant', decision: 'deny', actor: `teams:${ALICE}` })]);
    await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE }));
    expect(inbox).toHaveLength(1);
  });

  it('answers what is not a message with 200 and nothing else; a malformed body with 400; while stopped with 503', async () => {
    connector = await startFakeConnector();
    const teams = await bot();
    const inbox: InboundMessage[] = [];
    expect((await postActivity(teams.url, teamsMessage({ serviceUrl: connector.serviceUrl, text: 'x', user: ALICE }))).status).toBe(503);
    await teams.adapter.start(async (m) => void inbox.push(m));
    const update = { type: 'conversationUpdate', id: 'f:1', channelId: 'msteams', serviceUrl: connector.serviceUrl, conversation: { id: TEST_CHANNEL }, from: { id: '29:x' }, recipient: { id: '28:bot' }, membersAdded: [{ id: '28:bot' }] };
    expect((await postActivity(teams.url, update)).status).toBe(200);
    expect((await postActivity(teams.url, { type: 'message', text: 'no service url' })).status).toBe(400);
    expect((await postActivity(teams.url, [1, 2])).status).toBe(400);
    expect(inbox).toHaveLength(0);
  });

  it('refuses a ThreadRef it did not make', async () => {
    connector = await startFakeConnector();
    const teams = await bot();
    await expect(teams.adapter.send({ platform: 'teams', conversationId: 'x' }, { text: 'hi' })).rejects.toThrow(/no conversation reference/);
  });
});
