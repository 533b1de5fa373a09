import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { validateSlackConfig } from '../../adapters/slack/slack-config.js';
import { createSlackStack, type SlackStack, type SlackStackOptions } from '../../adapters/slack/slack-stack.js';
import { createDispatcher, type Dispatcher } from '../../src/chat/dispatcher.js';
import { silentLogger, type Clock, type InboundMessage, type Logger } from '../../src/core/index.js';
import { chatFixture, type ChatFixture } from './chat-fixture.js';
import { MemoryKeyValueStore } from './memory-kv.js';
import { startFakeSlackApi, type FakeSlackApi } from './slack-fake-api.js';

/** Who may do what in the Slack tests: Alice everything; Bob may run jobs on `local` only; Dave may cancel anyone's jobs. */
export const SLACK_TEST_ACCESS = {
  groups: {},
  rules: [
    { who: ['slack:TFAKE/UALICE'], agents: ['*'], commands: ['*'] },
    { who: ['slack:TFAKE/UBOB'], agents: ['local'], commands: ['help'] },
    { who: ['slack:TFAKE/UDAVE'], agents: ['local'], commands: ['cancel', 'jobs:cancel:any', 'jobs:read'] },
  ],
};

export interface SlackRig {
  fake: FakeSlackApi;
  stack: SlackStack;
  /** The real dispatcher, over in-memory jobs and a shared de-duplication store. */
  dispatcher: Dispatcher;
  chat: ChatFixture;
  /** Every message the adapter handed to the dispatcher. */
  inbound: InboundMessage[];
  /** HTTP mode: the events URL on the test's Fastify server. */
  eventsUrl: string;
  server: FastifyInstance | null;
  secret: string;
  close(): Promise<void>;
}

export interface SlackRigOptions {
  mode: 'http' | 'socket';
  stack?: SlackStackOptions;
  /** Runs before the dispatcher (e.g. to make it fail). */
  beforeDispatch?: (message: InboundMessage) => Promise<void>;
  clock?: Clock;
  logger?: Logger;
}

/**
 * A Slack adapter as `skadi serve` wires it, in-process: the real Bolt app on the chosen
 * transport, the fake Web API on loopback, and the real dispatcher (commands, access control,
 * de-duplication) over in-memory jobs. Replies go out through the adapter, as in production.
 */
export async function startSlackRig(options: SlackRigOptions): Promise<SlackRig> {
  const fake = await startFakeSlackApi({ users: { UALICE: 'Alice', UBOB: 'Bob', UDAVE: 'Dave' } });
  const secret = `secret-${randomBytes(8).toString('hex')}`;
  const raw = options.mode === 'http' ? { mode: 'http', signingSecret: secret } : { mode: 'socket', appToken: 'xapp-1-test' };
  const config = validateSlackConfig({ ...raw, botToken: 'xoxb-test', apiUrl: fake.apiUrl });
  const chat = chatFixture(SLACK_TEST_ACCESS);
  chat.jobs.addAgent('local');
  const clock = options.clock ?? { now: () => new Date() };
  const stack = createSlackStack(config, { clock, logger: options.logger ?? silentLogger }, options.stack);
  const dispatcher = createDispatcher(
    {},
    {
      jobs: chat.jobs,
      commands: chat.registry,
      access: chat.access,
      audit: chat.audit,
      kv: new MemoryKeyValueStore(),
      publish: async () => undefined,
      reply: async (thread, message) => {
        await stack.adapter.send(thread, message);
      },
      clock,
      logger: silentLogger,
    },
  );
  const inbound: InboundMessage[] = [];
  let server: FastifyInstance | null = null;
  let eventsUrl = '';
  if (stack.plugin) {
    server = Fastify();
    await server.register(stack.plugin);
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    eventsUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  }
  await stack.adapter.start(async (message) => {
    inbound.push(message);
    await options.beforeDispatch?.(message);
    await dispatcher(message);
  });
  return {
    fake,
    stack,
    dispatcher,
    chat,
    inbound,
    eventsUrl,
    server,
    secret,
    async close() {
      await stack.adapter.stop();
      await dispatcher.drain();
      await server?.close();
      await fake.close();
    },
  };
}
