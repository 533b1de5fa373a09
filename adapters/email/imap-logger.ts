import type { Logger as ImapLogger } from 'imapflow';
import type { Logger } from '../../src/core/index.js';

interface ImapLogEntry {
  msg?: string;
  err?: unknown;
  [key: string]: unknown;
}

function split(entry: unknown): [object, string | undefined] {
  if (typeof entry !== 'object' || entry === null) return [{ detail: String(entry) }, undefined];
  const { msg, ...rest } = entry as ImapLogEntry;
  return [rest, typeof msg === 'string' ? msg : undefined];
}

/**
 * imapflow's logger on top of ours, one level quieter: it reports every command at info,
 * which is protocol chatter for Skadi's log; its warnings and errors stay what they are.
 */
export function imapLogger(logger: Logger): ImapLogger {
  const log = logger.child({ lib: 'imapflow' });
  return {
    debug: () => undefined,
    trace: () => undefined,
    info: (entry: unknown) => log.debug(...split(entry)),
    warn: (entry: unknown) => log.warn(...split(entry)),
    error: (entry: unknown) => log.error(...split(entry)),
    fatal: (entry: unknown) => log.error(...split(entry)),
  };
}
