import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { ConfigError, type ChatAdapter, type PlatformDeps } from '../../src/core/index.js';
import { createTeamsAdapter } from './teams-adapter.js';
import type { TeamsConfig } from './teams-config.js';
import { teamsRoutes } from './teams-routes.js';

export { validateTeamsConfig, type TeamsConfig } from './teams-config.js';

function readPrivateKey(config: TeamsConfig): string | null {
  if (!config.certificatePrivateKeyFile) return null;
  try {
    return readFileSync(config.certificatePrivateKeyFile, 'utf8');
  } catch (err) {
    throw new ConfigError('teams.certificatePrivateKeyFile', `cannot read ${config.certificatePrivateKeyFile}: ${(err as Error).message}`);
  }
}

/** Builds the Teams adapter and its route, `POST /api/messages`, on Skadi's own HTTP server. */
export async function createTeamsPlatform(config: TeamsConfig, deps: PlatformDeps): Promise<{ adapter: ChatAdapter; plugin?: FastifyPluginAsync }> {
  const adapter = createTeamsAdapter({ config, certificatePrivateKey: readPrivateKey(config) }, { clock: deps.clock, logger: deps.logger, audit: deps.audit });
  if (config.allowUnauthenticated) deps.logger.warn({}, 'teams.allowUnauthenticated is set: Bot Framework authentication is OFF. Use this for local tests only.');
  return { adapter, plugin: teamsRoutes(adapter) };
}
