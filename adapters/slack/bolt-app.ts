import { App, type Logger as BoltLogger, type Receiver } from '@slack/bolt';

/** Sends an ephemeral note to the person who typed a command or clicked a button (their response_url). */
export type Respond = (text: string) => Promise<void>;

/** What the adapter does with each kind of payload Bolt routes to it. */
export interface SlackInbound {
  /** `app_mention` and `message` events; a throw makes Slack redeliver the event. */
  event(body: unknown): Promise<void>;
  /** The slash command; must call `ack` at once (Slack shows its text to the user). */
  command(body: unknown, ack: (text: string) => Promise<void>, respond: Respond): Promise<void>;
  /** A click on one of Skadi's buttons. */
  action(body: unknown, ack: () => Promise<void>, respond: Respond): Promise<void>;
}

export interface BoltAppOptions {
  botToken: string;
  botUserId: string;
  botId?: string;
  teamId: string;
  receiver: Receiver;
  commandName: string;
  logger: BoltLogger;
  clientOptions: { slackApiUrl: string; retryConfig: { retries: number }; rejectRateLimitedCalls: boolean; timeout: number };
}

type BoltRespond = (message: { response_type: 'ephemeral'; replace_original: boolean; text: string }) => Promise<unknown>;

/** Bolt sets `respond` only when the payload has a response_url; without one the note is dropped. */
function ephemeral(respond: BoltRespond | undefined): Respond {
  return async (text) => {
    if (respond) await respond({ response_type: 'ephemeral', replace_original: false, text });
  };
}

/**
 * The Bolt App: routing (events, the slash command, button clicks) and bolt's own middleware
 * (ignoreSelf). Authorisation is a fixed answer built from the identity the adapter resolved at
 * start, so Bolt makes no auth.test call of its own on the first event.
 */
export function createBoltApp(options: BoltAppOptions, inbound: SlackInbound): App {
  const { botToken, botUserId, botId, teamId } = options;
  const app = new App({
    authorize: async () => ({ botToken, botUserId, botId, teamId }),
    receiver: options.receiver,
    logger: options.logger,
    clientOptions: { ...options.clientOptions, logger: options.logger },
    // Bolt's conversation store would keep a context per channel in memory forever; nothing here uses it.
    convoStore: false,
  });

  app.event('app_mention', async ({ body }) => inbound.event(body));
  app.event('message', async ({ body }) => inbound.event(body));
  app.command(options.commandName, async ({ body, ack, respond }) => inbound.command(body, (text) => ack({ response_type: 'ephemeral', text }), ephemeral(respond)));
  app.action({ type: 'block_actions', action_id: /^skadi_/ }, async ({ body, ack, respond }) => inbound.action(body, () => ack(), ephemeral(respond)));
  // Rethrowing turns a failed event into "not accepted" (deliverToBolt), which makes Slack retry it.
  app.error(async (err) => {
    throw err;
  });
  return app;
}
