import { webApi } from '@slack/bolt';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock, Logger } from '../../src/core/index.js';
import { boltLogger } from './bolt-logger.js';
import type { ApiCaller } from './file-upload.js';
import { SlackHttpReceiver } from './http-receiver.js';
import type { CallPolicy } from './slack-api-call.js';
import { SLACK_MAX_TEXT_LENGTH } from './render.js';
import { SlackAdapter } from './slack-adapter.js';
import type { SlackConfig } from './slack-config.js';
import { SlackMessenger } from './slack-messenger.js';
import { slackRoutes } from './slack-routes.js';
import { SlackSocketReceiver } from './socket-receiver.js';
import { displayNameOf, UserNames } from './user-names.js';

export interface SlackStackDeps {
  clock: Clock;
  logger: Logger;
  /** For the file upload POST (default: global fetch). */
  fetch?: typeof fetch;
}

export interface SlackStackOptions {
  /** Answer Slack by then whatever happens (default 2500 ms; Slack's limit is 3 s). */
  ackDeadlineMs?: number;
  /** Socket Mode: reconnect after this long without a ping from Slack (default 30 s). */
  serverPingTimeoutMs?: number;
  /** Socket Mode: pong deadline and reconnect delay step (default 5 s). */
  clientPingTimeoutMs?: number;
  /** Retries and rate-limit waits of outbound calls (default DEFAULT_CALL_POLICY). */
  policy?: CallPolicy;
}

export interface SlackStack {
  adapter: SlackAdapter;
  /** HTTP mode only: the routes Slack posts to, for Skadi's Fastify server. */
  plugin?: FastifyPluginAsync;
}

/**
 * Builds the Slack adapter from its config: the WebClient, the outbound messenger, the display
 * name cache, and the transport for the configured mode (routes on Skadi's server for HTTP, an
 * outgoing WebSocket for Socket Mode).
 *
 * The WebClient makes no retries of its own (`retryConfig: {retries: 0}`) and rejects rate-limited
 * calls at once (`rejectRateLimitedCalls: true`). Its defaults would retry for about 30 minutes
 * and, on a 429, pause its whole request queue — every channel — behind the reply router's back,
 * whose claim on a reply lasts 2 minutes. Instead the messenger waits out Retry-After per channel,
 * keeping order there, and gives up with an AdapterError the router can retry later.
 */
export function createSlackStack(config: SlackConfig, deps: SlackStackDeps, options: SlackStackOptions = {}): SlackStack {
  const logger = deps.logger;
  const bolt = boltLogger(logger);
  const clientOptions = { slackApiUrl: config.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 };
  const web = new webApi.WebClient(config.botToken, { ...clientOptions, logger: bolt });
  const client: ApiCaller = {
    apiCall: async (method, args) => {
      const result: object = await web.apiCall(method, args);
      return result as Record<string, unknown>;
    },
  };
  const messenger = new SlackMessenger({ maxTextLength: SLACK_MAX_TEXT_LENGTH, policy: options.policy }, { client, logger, fetch: deps.fetch });
  const names = new UserNames(
    {},
    {
      lookup: async (user) => displayNameOf((await client.apiCall('users.info', { user })).user),
      clock: deps.clock,
      logger,
    },
  );
  const deadlineMs = options.ackDeadlineMs ?? 2500;

  let plugin: FastifyPluginAsync | undefined;
  let receiver: SlackHttpReceiver | SlackSocketReceiver;
  if (config.mode === 'http') {
    const http = new SlackHttpReceiver({ deadlineMs, logger });
    plugin = slackRoutes({ signingSecret: config.signingSecret!, receiver: http, clock: deps.clock, logger });
    receiver = http;
  } else {
    receiver = new SlackSocketReceiver({ appToken: config.appToken!, apiUrl: config.apiUrl, deadlineMs, logger, boltLogger: bolt, serverPingTimeoutMs: options.serverPingTimeoutMs, clientPingTimeoutMs: options.clientPingTimeoutMs });
  }

  const adapter = new SlackAdapter({ config, maxTextLength: SLACK_MAX_TEXT_LENGTH, clientOptions }, { client, messenger, names, receiver, clock: deps.clock, logger, boltLogger: bolt });
  return plugin ? { adapter, plugin } : { adapter };
}
