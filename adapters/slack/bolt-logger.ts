import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/core/index.js';

/**
 * Bolt's and the WebClient's logger interface over Skadi's (pino) logger, so their lines land in
 * the same JSON log with the platform binding. Bolt logs variadic strings and errors; the first
 * Error becomes `err`, the rest is joined into the message.
 */
export function boltLogger(logger: Logger): BoltLogger {
  let name = 'bolt';
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
    const err = msg.find((part) => part instanceof Error);
    const text = msg
      .filter((part) => part !== err)
      .map((part) => (typeof part === 'string' ? part : safeJson(part)))
      .join(' ');
    logger[level](err ? { err, component: name } : { component: name }, text);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    // pino filters by level; reporting INFO keeps the SDKs from building debug-only strings.
    getLevel: () => LogLevel.INFO,
    setLevel: () => undefined,
    setName: (next: string) => {
      name = next;
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
