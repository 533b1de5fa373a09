import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { validateSlackConfig } from '../../adapters/slack/slack-config.js';
import { createSlackStack } from '../../adapters/slack/slack-stack.js';
import { escapeSlack } from '../../adapters/slack/slack-text.js';
import { silentLogger, systemClock } from '../../src/core/index.js';
import { shownText, startFakeSlackApi, type FakeSlackApi } from '../helpers/slack-fake-api.js';
import { eventEnvelope, mentionEvent, postEvent } from '../helpers/slack-payloads.js';
import { chatAdapterContract, type ChatAdapterHarness, type ReceivedMessage } from './chat-adapter.contract.js';
import type { DeliverInput } from './chat-adapter-harness.js';

const SECRET = `signing-${randomBytes(8).toString('hex')}`;
const USERS = { alice: 'Alice Liddell', bob: 'Bob', somebot: 'Some Bot' };

/** Maps the contract's ids to Slack's: a retry of id X is the same event with the same ts. */
function slackIds(fake: FakeSlackApi) {
  const tsById = new Map<string, string>();
  const channel = `C${randomBytes(5).toString('hex').toUpperCase()}`;
  return (input: DeliverInput): Record<string, unknown> => {
    const id = input.id ?? randomBytes(6).toString('hex');
    let ts = tsById.get(id);
    if (!ts) {
      ts = fake.nextTs();
      tsById.set(id, ts);
    }
    // Slack escapes &, < and > in what the user typed, and puts the bot's mention in front.
    const event = mentionEvent({ user: input.user, text: `<@${fake.botUserId}> ${escapeSlack(input.text)}`, channel: input.conversation ?? channel, ts, threadTs: input.thread, team: fake.teamId });
    if (input.isBot) {
      event.bot_id = 'BOTHER';
      event.subtype = 'bot_message';
    }
    return eventEnvelope(event, { teamId: fake.teamId, eventId: `Ev${id}` });
  };
}

/** What people see in the fake workspace, as the contract reads it. */
function receivedFrom(fake: FakeSlackApi): ReceivedMessage[] {
  return fake.history.map((m) => {
    const out: ReceivedMessage = { conversationId: m.channel, threadId: m.threadTs ?? m.ts, messageId: m.ts, text: shownText(m), edited: m.edited };
    if (m.file) out.file = { name: m.file.name, content: m.file.content };
    return out;
  });
}

/** HTTP Events API: signed POSTs to the adapter's routes on a Fastify server, replies to the fake Web API. */
async function httpHarness(): Promise<ChatAdapterHarness> {
  const fake = await startFakeSlackApi({ users: USERS });
  const config = validateSlackConfig({ mode: 'http', botToken: 'xoxb-contract', signingSecret: SECRET, apiUrl: fake.apiUrl });
  const stack = createSlackStack(config, { clock: systemClock, logger: silentLogger });
  const server: FastifyInstance = Fastify();
  await server.register(stack.plugin!);
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  const payload = slackIds(fake);
  return {
    adapter: stack.adapter,
    async deliver(input) {
      const res = await postEvent(url, payload(input), { secret: SECRET });
      if (!res.ok) throw new Error(`slack events endpoint answered ${res.status}`);
    },
    received: async () => receivedFrom(fake),
    async close() {
      await server.close();
      await fake.close();
    },
  };
}

/** Socket Mode: the adapter connects to the fake's WebSocket; envelopes are acked with their id. */
async function socketHarness(): Promise<ChatAdapterHarness> {
  const fake = await startFakeSlackApi({ users: USERS });
  const config = validateSlackConfig({ mode: 'socket', botToken: 'xoxb-contract', appToken: 'xapp-contract', apiUrl: fake.apiUrl });
  const stack = createSlackStack(config, { clock: systemClock, logger: silentLogger });
  const payload = slackIds(fake);
  return {
    adapter: stack.adapter,
    async deliver(input) {
      await fake.socket.send('events_api', payload(input), { ackTimeoutMs: 2500 });
    },
    received: async () => receivedFrom(fake),
    async close() {
      await fake.close();
    },
  };
}

chatAdapterContract('slack (HTTP Events API)', httpHarness);
chatAdapterContract('slack (Socket Mode)', socketHarness);
