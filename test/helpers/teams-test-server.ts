import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createTeamsAdapter, type TeamsAdapterDeps, type TeamsAdapterOptions, type TeamsChatAdapter } from '../../adapters/teams/teams-adapter.js';
import { validateTeamsConfig } from '../../adapters/teams/teams-config.js';
import { teamsRoutes } from '../../adapters/teams/teams-routes.js';
import { silentLogger, systemClock } from '../../src/core/index.js';

export interface TeamsBot {
  adapter: TeamsChatAdapter;
  /** Base URL of the bot's HTTP server; the messaging endpoint is `${url}/api/messages`. */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Test retries: the same policy, with short backoffs. */
export const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 50 };

/**
 * The Teams adapter behind its route on a loopback Fastify, as `skadi serve` registers it.
 * Authentication is off (`allowUnauthenticated`) unless the options give a config.
 */
export async function startTeamsBot(options: Partial<TeamsAdapterOptions> = {}, deps: Partial<TeamsAdapterDeps> = {}): Promise<TeamsBot> {
  const config = options.config ?? validateTeamsConfig({ allowUnauthenticated: true });
  const adapter = createTeamsAdapter({ retry: FAST_RETRY, ...options, config }, { clock: systemClock, logger: silentLogger, ...deps });
  const app = Fastify({ logger: false });
  await app.register(teamsRoutes(adapter));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { adapter, url, app, close: () => app.close() };
}
