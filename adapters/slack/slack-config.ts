import { ConfigError } from '../../src/core/index.js';

/** How Slack reaches Skadi: a WebSocket Skadi opens (no public URL needed), or HTTP requests to Skadi. */
export type SlackMode = 'socket' | 'http';

/** The validated `slack` config section. */
export interface SlackConfig {
  readonly mode: SlackMode;
  /** Bot User OAuth Token (`xoxb-…`), for every Web API call. */
  readonly botToken: string;
  /** App-level token (`xapp-…`) with `connections:write`; Socket Mode only. */
  readonly appToken?: string;
  /** Signing secret that Slack signs each HTTP request with; HTTP mode only. */
  readonly signingSecret?: string;
  /** Web API base URL, ending in `/` (default `https://slack.com/api/`; tests point it at a fake). */
  readonly apiUrl: string;
  /** The bot's user id (`U…`); found with `auth.test` when absent. */
  readonly botUserId?: string;
  /** The workspace id (`T…`); found with `auth.test` when absent. */
  readonly teamId?: string;
  /** The slash command Skadi answers (default `/skadi`); it must match the app's manifest. */
  readonly commandName: string;
}

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
export const DEFAULT_SLACK_COMMAND = '/skadi';

const KEYS = ['mode', 'botToken', 'appToken', 'signingSecret', 'apiUrl', 'botUserId', 'teamId', 'commandName'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional string; absent, null and '' count as not given. */
function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`slack.${key}`, `expected a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

function checkPattern(value: string | undefined, key: string, pattern: RegExp, expected: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) throw new ConfigError(`slack.${key}`, `${JSON.stringify(redact(key, value))} is not valid: expected ${expected}`);
  return value;
}

/** Secrets never appear whole in an error message. */
function redact(key: string, value: string): string {
  return key === 'botToken' || key === 'appToken' || key === 'signingSecret' ? `${value.slice(0, 5)}…` : value;
}

function mode(raw: Record<string, unknown>, appToken: string | undefined, signingSecret: string | undefined): SlackMode {
  const given = optionalString(raw, 'mode');
  if (given === 'socket' || given === 'http') return given;
  if (given !== undefined) throw new ConfigError('slack.mode', `${JSON.stringify(given)} is not valid: expected socket or http`);
  // Only secrets from the environment: the one that is there says which mode is meant.
  if (appToken && !signingSecret) return 'socket';
  if (signingSecret && !appToken) return 'http';
  throw new ConfigError('slack.mode', 'missing: socket (with appToken / SKADI_SLACK_APP_TOKEN) or http (with signingSecret / SKADI_SLACK_SIGNING_SECRET)');
}

function apiUrl(raw: Record<string, unknown>): string {
  const value = optionalString(raw, 'apiUrl');
  if (value === undefined) return DEFAULT_SLACK_API_URL;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)) throw new ConfigError('slack.apiUrl', `${JSON.stringify(value)} is not valid: expected an http(s) URL such as https://slack.com/api/`);
  return value.endsWith('/') ? value : `${value}/`;
}

/**
 * Validates the `slack` section. Called by the config loader on the raw section and again by the
 * wiring on its own output, so it accepts what it returns. Throws ConfigError naming the key.
 */
export function validateSlackConfig(raw: unknown): SlackConfig {
  if (!isRecord(raw)) throw new ConfigError('slack', 'expected an object with mode, botToken and appToken (socket) or signingSecret (http)');
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`slack.${key}`, `unknown key; a slack section has ${KEYS.join(', ')}`);
  }
  const botToken = checkPattern(optionalString(raw, 'botToken'), 'botToken', /^xoxb-\S+$/, 'a bot token starting with xoxb-');
  if (botToken === undefined) throw new ConfigError('slack.botToken', 'missing: the Bot User OAuth Token (xoxb-…), or set SKADI_SLACK_BOT_TOKEN');
  const appToken = checkPattern(optionalString(raw, 'appToken'), 'appToken', /^xapp-\S+$/, 'an app-level token starting with xapp-');
  const signingSecret = checkPattern(optionalString(raw, 'signingSecret'), 'signingSecret', /^\S{8,}$/, 'the signing secret from the app\'s Basic Information page');
  const chosen = mode(raw, appToken, signingSecret);
  if (chosen === 'socket' && appToken === undefined) throw new ConfigError('slack.appToken', 'missing: Socket Mode needs an app-level token (xapp-…) with connections:write, or set SKADI_SLACK_APP_TOKEN');
  if (chosen === 'http' && signingSecret === undefined) throw new ConfigError('slack.signingSecret', 'missing: HTTP mode verifies every request with the signing secret, or set SKADI_SLACK_SIGNING_SECRET');
  const botUserId = checkPattern(optionalString(raw, 'botUserId'), 'botUserId', /^[UW][A-Z0-9]{2,}$/, 'a user id such as U012ABCDEF');
  const teamId = checkPattern(optionalString(raw, 'teamId'), 'teamId', /^[TE][A-Z0-9]{2,}$/, 'a workspace id such as T012ABCDEF');
  const commandName = checkPattern(optionalString(raw, 'commandName'), 'commandName', /^\/[a-z0-9_-]{1,31}$/, 'a slash command such as /skadi (lower case, no spaces)');

  const config: { -readonly [K in keyof SlackConfig]: SlackConfig[K] } = { mode: chosen, botToken, apiUrl: apiUrl(raw), commandName: commandName ?? DEFAULT_SLACK_COMMAND };
  // Each mode keeps only its own secret, so a socket-mode process holds no signing secret it never uses.
  if (chosen === 'socket') config.appToken = appToken;
  else config.signingSecret = signingSecret;
  if (botUserId !== undefined) config.botUserId = botUserId;
  if (teamId !== undefined) config.teamId = teamId;
  return config;
}
