import { afterEach, describe, expect, it } from 'vitest';
import type { WebAgentSummary, WebChatMessage, WebJobSummary } from '../../../../adapters/web/wire-types.js';
import { createInProcessBus } from '../../../../src/bus/index.js';
import type { EventBus, ThreadRef } from '../../../../src/core/index.js';
import { createFakeJobsApi, fakeAgent } from '../../../helpers/web-fake-jobs.js';
import { openSse, type SseClient } from '../../../helpers/web-sse-client.js';
import { startWebServer, type WebTestServer } from '../../../helpers/web-test-server.js';

const ALICE = { name: 'alice', token: 'alice-token-0123456789' };
const BOB = { name: 'bob', token: 'bob-token-0123456789' };
const thread: ThreadRef = { platform: 'web', conversationId: 'alice/conv0001', threadId: 'msg00001' };

let server: WebTestServer;
let bus: EventBus | undefined;
const clients: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  await bus?.close();
  bus = undefined;
});

async function events(cookie: string, query = 'conversationId=conv0001', headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${server.url}/web/api/events?${query}`, { cookie, ...headers });
  clients.push(client);
  return client;
}

const texts = (c: SseClient) => c.events.filter((e) => e.event.startsWith('message.')).map((e) => `${e.event}:${(JSON.parse(e.data) as WebChatMessage).text}`);

describe('web adapter event streams', () => {
  it('needs a session', async () => {
    server = await startWebServer({ users: [ALICE] });
    const anon = await fetch(`${server.url}/web/api/events?conversationId=conv0001`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ code: 'SKADI_UNAUTHENTICATED' });
    const bad = await fetch(`${server.url}/web/api/events?conversationId=x`, { headers: { cookie: await server.login('alice', ALICE.token) } });
    expect(bad.status).toBe(400);
  });

  it('streams sends and edits of the conversation, with heartbeats', async () => {
    server = await startWebServer({ users: [ALICE], options: { heartbeatMs: 50 } });
    const stream = await events(await server.login('alice', ALICE.token));
    await stream.waitFor((e) => e.event === 'ready');
    const { messageId } = await server.adapter.send(thread, { text: 'Job j1 queued', status: 'queued', jobId: 'j1' });
    await server.adapter.edit!(thread, messageId, { text: 'Job j1 succeeded', status: 'succeeded', jobId: 'j1', code: { content: 'up 3 days' } });
    const edit = await stream.waitFor((e) => e.event === 'message.edit');
    const m = JSON.parse(edit.data) as WebChatMessage;
    expect(m).toMatchObject({ id: messageId, conversationId: 'conv0001', threadId: 'msg00001', status: 'succeeded', author: { kind: 'bot', name: 'skadi' } });
    expect(m.files).toEqual([{ name: 'j1.txt', content: 'up 3 days', kind: 'output' }]);
    expect(m.editedAt).toBeDefined();
    expect(texts(stream)).toEqual(['message.new:Job j1 queued', 'message.edit:Job j1 succeeded']);
    // Heartbeats are comments: the stream is still open and the session still checked.
    await new Promise((r) => setTimeout(r, 120));
    expect(stream.ended).toBe(false);
  });

  it('resumes after Last-Event-ID (header or query) without repeating what the browser has', async () => {
    server = await startWebServer({ users: [ALICE] });
    const cookie = await server.login('alice', ALICE.token);
    await server.adapter.send(thread, { text: 'one' });
    const first = await events(cookie);
    await first.waitFor((e) => e.event === 'ready');
    expect(texts(first)).toEqual(['message.new:one']);
    const last = first.events.find((e) => e.event === 'message.new')!.id!;
    first.close();
    const { messageId } = await server.adapter.send(thread, { text: 'two' });
    await server.adapter.send(thread, { text: 'three' });
    await server.adapter.edit!(thread, messageId, { text: 'two edited' });
    for (const resumed of [await events(cookie, 'conversationId=conv0001', { 'last-event-id': last }), await events(cookie, `conversationId=conv0001&lastEventId=${last}`)]) {
      await resumed.waitFor((e) => e.event === 'ready');
      expect(texts(resumed)).toEqual(['message.new:three', 'message.new:two edited']);
    }
    const fresh = await events(cookie, 'conversationId=conv0001', { 'last-event-id': 'from-another-process.7' });
    await fresh.waitFor((e) => e.event === 'ready');
    expect(texts(fresh)).toEqual(['message.new:one', 'message.new:three', 'message.new:two edited']);
  });

  it("keeps users out of each other's conversations", async () => {
    server = await startWebServer({ users: [ALICE, BOB] });
    await server.adapter.start(async () => {});
    const bob = await events(await server.login('bob', BOB.token));
    await bob.waitFor((e) => e.event === 'ready');
    const alice = await events(await server.login('alice', ALICE.token));
    await server.adapter.send(thread, { text: 'for alice' });
    await alice.waitFor((e) => e.event === 'message.new');
    await new Promise((r) => setTimeout(r, 50));
    expect(texts(bob)).toEqual([]);
  });

  it('echoes the user message to the other tabs of that user, once', async () => {
    server = await startWebServer({ users: [ALICE] });
    await server.adapter.start(async () => {});
    const cookie = await server.login('alice', ALICE.token);
    const tab = await events(cookie);
    await tab.waitFor((e) => e.event === 'ready');
    const body = JSON.stringify({ conversationId: 'conv0001', clientMessageId: 'msg00009', text: 'local uptime' });
    for (let i = 0; i < 2; i++) await fetch(`${server.url}/web/api/messages`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    const echo = JSON.parse((await tab.waitFor((e) => e.event === 'message.new')).data) as WebChatMessage;
    expect(echo).toMatchObject({ id: 'msg00009', threadId: 'msg00009', author: { kind: 'user', name: 'alice' }, text: 'local uptime' });
    await new Promise((r) => setTimeout(r, 50));
    expect(texts(tab)).toEqual(['message.new:local uptime']);
  });

  it('ends the streams of a session on logout, and limits streams per user', async () => {
    server = await startWebServer({ users: [ALICE], options: { maxStreamsPerUser: 2 } });
    const cookie = await server.login('alice', ALICE.token);
    const a = await events(cookie);
    const b = await events(cookie);
    await a.waitFor((e) => e.event === 'ready');
    await b.waitFor((e) => e.event === 'ready');
    const third = await fetch(`${server.url}/web/api/events?conversationId=conv0001`, { headers: { cookie } });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('SKADI_RATE_LIMITED');
    await fetch(`${server.url}/web/api/logout`, { method: 'POST', headers: { cookie } });
    await expect(a.waitFor(() => false, 2000)).rejects.toThrow(/ended/);
    expect(b.ended).toBe(true);
  });

  it('closes the server promptly with streams open', async () => {
    server = await startWebServer({ users: [ALICE] });
    const cookie = await server.login('alice', ALICE.token);
    await (await events(cookie)).waitFor((e) => e.event === 'ready');
    const live = await openSse(`${server.url}/web/api/live`, { cookie });
    clients.push(live);
    await live.waitFor((e) => e.event === 'jobs');
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('streams the fleet: a snapshot, job status changes from the bus, agent list changes', async () => {
    bus = createInProcessBus();
    const jobs = createFakeJobsApi([fakeAgent('web-1')]);
    server = await startWebServer({ users: [ALICE], jobs, bus, options: { agentPollMs: 50 } });
    const live = await openSse(`${server.url}/web/api/live`, { cookie: await server.login('alice', ALICE.token) });
    clients.push(live);
    const agents = JSON.parse((await live.waitFor((e) => e.event === 'agents')).data) as WebAgentSummary[];
    expect(agents.map((a) => a.name)).toEqual(['web-1']);
    expect(JSON.parse((await live.waitFor((e) => e.event === 'jobs')).data)).toEqual([]);

    const job = jobs.putJob({ id: 'job00000001', agent: 'web-1', state: 'running' });
    await bus.publish('EventJobStatus', { jobId: job.id, agent: 'web-1', from: 'sent', to: 'running', reason: null, at: new Date().toISOString(), version: 3, attempt: 1, platform: 'web' }, 'ev1');
    const update = JSON.parse((await live.waitFor((e) => e.event === 'job')).data) as WebJobSummary;
    expect(update).toMatchObject({ id: 'job00000001', state: 'running', requester: 'web:alice' });

    jobs.agents = [fakeAgent('web-1', { status: 'offline' })];
    const changed = await live.waitFor((e) => e.event === 'agents' && (JSON.parse(e.data) as WebAgentSummary[])[0]!.status === 'offline');
    expect(changed).toBeDefined();
  });
});
