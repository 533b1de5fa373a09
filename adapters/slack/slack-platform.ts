import type { FastifyPluginAsync } from 'fastify';
import type { ChatAdapter, PlatformDeps } from '../../src/core/index.js';
import type { SlackConfig } from './slack-config.js';
import { createSlackStack } from './slack-stack.js';

export { validateSlackConfig, type SlackConfig } from './slack-config.js';

/** Builds the slack adapter and, in HTTP mode, the routes Slack posts to (`/slack/events`). */
export async function createSlackPlatform(config: SlackConfig, deps: PlatformDeps): Promise<{ adapter: ChatAdapter; plugin?: FastifyPluginAsync }> {
  return createSlackStack(config, { clock: deps.clock, logger: deps.logger });
}
