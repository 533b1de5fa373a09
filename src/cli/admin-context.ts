import { createTypeormStores } from '../store/create-typeorm-stores.js';
import { loadConfig } from '../config/load-config.js';
import { mkdirSync } from 'node:fs';
import { assertAgentNameAllowed } from '../core/command.js';
import { flagsToConfig, type GlobalFlags } from './config-flags.js';

/** Opens the configured database for the admin commands (migrations applied). */
export async function openAdminStores(flags: GlobalFlags) {
  const config = loadConfig({ file: flags.config ?? null, flags: flagsToConfig(flags) });
  if (config.database.url.startsWith('sqlite:') && config.database.url !== 'sqlite::memory:') mkdirSync(config.data.dir, { recursive: true });
  const stores = await createTypeormStores({ url: config.database.url, migrate: true });
  return { stores, config };
}

/** Agent names share the chat namespace with the built-in commands. */
export function checkAgentNameAgainstCommands(name: string): void {
  assertAgentNameAllowed(name);
}
