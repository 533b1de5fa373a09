import { ConfigError, closestNames } from '../../src/core/index.js';

/** The validated `wechat` config section (plain JSON, so validating it again gives it back unchanged). */
export interface WechatConfig {
  /**
   * Wechaty puppet: an npm package name (`wechaty-puppet-service`, `wechaty-puppet-wechat4u`, …)
   * or the path of a module file whose default export is a Puppet class.
   */
  puppet: string;
  /** Token of the puppet service (puppet-service, padlocal); passed to the puppet as `token`. */
  puppetToken: string | null;
  /** Further options for the puppet's constructor (`endpoint`, `tls`, …), passed as they are. */
  puppetOptions: Record<string, unknown>;
  /** Session name: the login is kept in `<data dir>/wechat/<name>.memory-card.json`. */
  name: string;
  /** Longest text of one WeChat message; longer replies are split into numbered messages. */
  maxTextLength: number;
  /** Pause between two messages the bot sends (WeChat flags accounts that send in bursts). */
  sendIntervalMs: number;
  /** Attempts after a failed send before the reply is handed back to the bus for a later retry. */
  sendRetries: number;
  /** Messages older than this when they arrive (replayed after a reconnect) are ignored, never run late. */
  maxMessageAgeMs: number;
  /** Token that unlocks the login QR code on `/wechat`; generated into the data directory when null. */
  statusToken: string | null;
}

export const WECHAT_DEFAULTS: Readonly<Omit<WechatConfig, 'puppetToken' | 'statusToken' | 'puppetOptions'>> = {
  puppet: 'wechaty-puppet-wechat4u',
  name: 'skadi',
  maxTextLength: 2000,
  sendIntervalMs: 500,
  sendRetries: 3,
  maxMessageAgeMs: 5 * 60_000,
};

const KEYS = ['puppet', 'puppetToken', 'puppetOptions', 'name', 'maxTextLength', 'sendIntervalMs', 'sendRetries', 'maxMessageAgeMs', 'statusToken'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(raw: Record<string, unknown>, key: string, check: (v: string) => boolean, expected: string): string | null {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !check(value)) throw new ConfigError(`wechat.${key}`, `${JSON.stringify(value)} is not valid: expected ${expected}`);
  return value;
}

function integer(raw: Record<string, unknown>, key: keyof typeof WECHAT_DEFAULTS, min: number, max: number): number {
  const value = raw[key] ?? WECHAT_DEFAULTS[key];
  // Env vars and YAML quoting both give strings: "2000" is as good as 2000.
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`wechat.${key}`, `${JSON.stringify(value)} is not valid: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/**
 * Checks the raw `wechat` section and fills in defaults. Throws ConfigError naming the key
 * (`wechat.maxTextLength`) with the value and what was expected.
 */
export function parseWechatConfig(raw: unknown): WechatConfig {
  if (!isRecord(raw)) throw new ConfigError('wechat', `expected an object with puppet, puppetToken, …, got ${JSON.stringify(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const near = closestNames(key, KEYS);
      throw new ConfigError(`wechat.${key}`, `unknown key${near.length ? `; did you mean ${near.slice(0, 2).join(' or ')}?` : `; known keys: ${KEYS.join(', ')}`}`);
    }
  }
  const puppet = optionalString(raw, 'puppet', (v) => v.trim() === v && v.length <= 500, 'a wechaty puppet package name such as wechaty-puppet-service, or a module path') ?? WECHAT_DEFAULTS.puppet;
  const puppetOptions = raw.puppetOptions ?? {};
  if (!isRecord(puppetOptions)) throw new ConfigError('wechat.puppetOptions', `expected an object of options for the puppet, got ${JSON.stringify(puppetOptions)}`);
  return {
    puppet,
    puppetToken: optionalString(raw, 'puppetToken', (v) => v.trim().length > 0, 'the token of your puppet service'),
    // A JSON copy: the loader freezes the config, and puppets may write into their options.
    puppetOptions: JSON.parse(JSON.stringify(puppetOptions)) as Record<string, unknown>,
    name: optionalString(raw, 'name', (v) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v), '1-64 letters, digits, ".", "_" or "-" (it names a file)') ?? WECHAT_DEFAULTS.name,
    maxTextLength: integer(raw, 'maxTextLength', 200, 20_000),
    sendIntervalMs: integer(raw, 'sendIntervalMs', 0, 60_000),
    sendRetries: integer(raw, 'sendRetries', 0, 10),
    maxMessageAgeMs: integer(raw, 'maxMessageAgeMs', 1000, 7 * 24 * 3_600_000),
    statusToken: optionalString(raw, 'statusToken', (v) => /^[\x21-\x7e]{16,200}$/.test(v), 'at least 16 printable characters without spaces'),
  };
}
