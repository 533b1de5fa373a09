import { SkadiError } from '../core/errors.js';

export interface GlobalFlags {
  config?: string;
  set?: string[];
  databaseUrl?: string;
  redisUrl?: string;
  port?: string;
  host?: string;
}

/** Turns the global CLI flags into the loader's dotted-key overrides. */
export function flagsToConfig(flags: GlobalFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of flags.set ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new SkadiError('SKADI_CONFIG_INVALID', `--set ${pair}: expected key=value`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  if (flags.databaseUrl !== undefined) out['database.url'] = flags.databaseUrl;
  if (flags.redisUrl !== undefined) out['redis.url'] = flags.redisUrl;
  if (flags.port !== undefined) out['server.port'] = flags.port;
  if (flags.host !== undefined) out['server.host'] = flags.host;
  return out;
}
