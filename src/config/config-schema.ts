import { parseBoolean, parseDuration, parseInteger, parseRate, parseSize, type RateSpec } from './parse-values.js';
import { compileRedactions, type RedactionRule } from '../core/redaction.js';
import { parseWatchNotify, type WatchNotifyTarget } from '../watch/watch-notify-target.js';

/**
 * Every configuration key, declared once: its parser, default, environment variable and the
 * line the README's configuration reference shows (a test keeps the README in step).
 */
export interface KeySpec<T> {
  /** What the value must look like, for error messages and the README. */
  expected: string;
  parse: (raw: unknown) => T | undefined;
  default: T;
  env?: string;
  doc: string;
  /** The value is a secret: a bad one is reported without echoing it. */
  secret?: boolean;
}

const str = () => (raw: unknown) => (typeof raw === 'string' && raw.length > 0 ? raw : typeof raw === 'number' ? String(raw) : undefined);
const optStr = (raw: unknown) => (raw === '' || raw === null ? null : typeof raw === 'string' ? raw : undefined);

function port(raw: unknown): number | undefined {
  const n = parseInteger(raw);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
}

function positive<T extends number>(parse: (raw: unknown) => T | undefined, min = 1) {
  return (raw: unknown) => {
    const n = parse(raw);
    return n !== undefined && n >= min ? n : undefined;
  };
}

function databaseUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  return /^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/.test(raw) ? raw : undefined;
}

function redisUrl(raw: unknown): string | null | undefined {
  if (raw === '' || raw === null) return null;
  if (typeof raw !== 'string') return undefined;
  return /^rediss?:\/\/.+/.test(raw) ? raw : undefined;
}

function logLevel(raw: unknown): string | undefined {
  return typeof raw === 'string' && ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw) ? raw : undefined;
}

/** A list of literal secrets and `{regex, flags?}` (JSON in the environment), checked by compiling it. */
function redactRules(raw: unknown): RedactionRule[] | undefined {
  let value = raw;
  if (value === null || value === '') return [];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(value)) return undefined;
  const rules = value.map((v) => (typeof v === 'number' ? String(v) : v) as RedactionRule);
  try {
    compileRedactions(rules);
  } catch {
    return undefined;
  }
  return rules;
}

function nonNegative(raw: unknown): number | undefined {
  const n = parseInteger(raw);
  return n !== undefined && n >= 0 ? n : undefined;
}

function agentName(raw: unknown): string | undefined {
  return typeof raw === 'string' && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(raw) ? raw : undefined;
}

export interface WebUser {
  name: string;
  /** SHA-256 hex of the user's token. */
  tokenHash: string;
}

/** Structured values (lists, maps) that only come from the config file or as JSON in env. */
export type StructuredValue = unknown;

export const CONFIG_SCHEMA = {
  'server.host': { expected: 'a host name or IP address', parse: str(), default: '127.0.0.1', env: 'SKADI_HOST', doc: 'Address the HTTP server listens on.' },
  'server.port': { expected: 'a port number 0-65535', parse: port, default: 8080, env: 'SKADI_PORT', doc: 'Port of the HTTP server (agent API, user API, web chat, dashboard).' },
  'server.publicUrl': { expected: 'an http(s) URL', parse: (r: unknown) => (r === null || r === '' ? null : typeof r === 'string' && /^https?:\/\/.+/.test(r) ? r : undefined), default: null as string | null, env: 'SKADI_PUBLIC_URL', doc: 'URL users and agents reach the server at (printed at start; default http://host:port).' },
  'server.bodyLimit': { expected: 'a size such as 1MiB', parse: positive(parseSize, 1024), default: 1024 * 1024, env: 'SKADI_BODY_LIMIT', doc: 'Largest HTTP request body accepted; larger ones get 413 SKADI_BODY_TOO_LARGE.' },
  'database.url': { expected: 'sqlite:<file>, sqlite::memory:, mysql://user:pass@host:port/db or mariadb://…', parse: databaseUrl, default: 'sqlite:./data/skadi.db', env: 'SKADI_DATABASE_URL', doc: 'Job store. SQLite file (embedded default) or MySQL/MariaDB.' },
  'database.migrate': { expected: 'true or false', parse: parseBoolean, default: true, env: 'SKADI_DATABASE_MIGRATE', doc: 'Run pending migrations at start (`skadi migrate` does it explicitly).' },
  'redis.url': { expected: 'redis://[user:pass@]host:port[/db] or rediss://…', parse: redisUrl, default: null as string | null, env: 'SKADI_REDIS_URL', doc: 'Redis 5 or newer. When set, events go through Redis Streams and wake-ups through pub/sub, so several server processes can share the work.' },
  'redis.keyPrefix': { expected: 'a string', parse: str(), default: 'skadi:', env: 'SKADI_REDIS_KEY_PREFIX', doc: 'Prefix of every Redis key and channel Skadi uses.' },
  'node.id': { expected: 'a string', parse: optStr, default: null as string | null, env: 'SKADI_NODE_ID', doc: 'Stable name of this server process (Redis consumer name); default host name + port (+ process id when the port is 0). Keep it stable across restarts so a restarted process resumes its pending events.' },
  'jobs.timeout': { expected: 'a duration such as 10m', parse: positive(parseDuration, 1000), default: 10 * 60_000, env: 'SKADI_JOB_TIMEOUT', doc: 'A job that has not finished this long after it was accepted expires.' },
  'jobs.ackTimeout': { expected: 'a duration such as 15s', parse: positive(parseDuration, 100), default: 15_000, env: 'SKADI_ACK_TIMEOUT', doc: 'A job handed to an agent that does not acknowledge it within this time goes back to the queue.' },
  'jobs.maxOutput': { expected: 'a size such as 4MiB', parse: positive(parseSize, 1024), default: 4 * 1024 * 1024, env: 'SKADI_MAX_OUTPUT', doc: 'Output kept per job; beyond it the job is marked output-truncated (said so in the reply).' },
  'jobs.maxMessageLength': { expected: 'a whole number', parse: positive(parseInteger), default: 4000, env: 'SKADI_MAX_MESSAGE_LENGTH', doc: 'Longest job message accepted.' },
  'jobs.signingKey': { expected: 'an Ed25519 private key: base64 of its 32-byte seed (`skadi keys generate`) or a PEM', parse: optStr, default: null as string | null, env: 'SKADI_JOB_SIGNING_KEY', secret: true, doc: 'Key the server signs every job with (agents verify it against `serverPublicKey`). Unset: generated once into the data directory (`job-signing-key`, mode 0600). Several server processes must share one key. `skadi keys show` prints the public key to pin.' },
  'jobs.redact': { expected: 'a list of secrets: strings (4+ characters) or {regex, flags?} (JSON in the environment)', parse: redactRules, default: [] as RedactionRule[], env: 'SKADI_JOB_REDACT', secret: true, doc: 'Secrets replaced by `[redacted]` in job output (and failure reasons) before they are stored or replied; each output chunk as it arrives and the whole output again at the end, so a secret split across chunks is caught.' },
  'rateLimit.user': { expected: 'a rate such as 30/1m (jobs per period), or 0 for none', parse: parseRate, default: null as RateSpec | null, env: 'SKADI_RATE_LIMIT_USER', doc: 'Jobs one user (chat, web or API identity) may start, as a token bucket: `30/1m` allows a burst of 30, then one every 2 s. Over it: a chat reply saying when to retry, or 429 SKADI_RATE_LIMITED with Retry-After. Counted per server process.' },
  'rateLimit.agent': { expected: 'a rate such as 120/1m (jobs per period), or 0 for none', parse: parseRate, default: null as RateSpec | null, env: 'SKADI_RATE_LIMIT_AGENT', doc: 'Jobs one agent may be sent, from all users together (token bucket, like rateLimit.user). Counted per server process.' },
  'agents.maxConcurrentJobs': { expected: 'a whole number, 0 for no limit', parse: nonNegative, default: 0, env: 'SKADI_AGENT_MAX_CONCURRENT_JOBS', doc: 'Most jobs handed out to one agent at once (sent or running); more wait in the queue. 0: only the agent\'s own `concurrency` limits it.' },
  'agents.offlineAfter': { expected: 'a duration such as 3m', parse: positive(parseDuration, 1000), default: 3 * 60_000, env: 'SKADI_OFFLINE_AFTER', doc: 'An agent that has not polled for this long is offline; its waiting jobs expire.' },
  'agents.pollWaitMax': { expected: 'a duration such as 30s', parse: positive(parseDuration, 0), default: 30_000, env: 'SKADI_POLL_WAIT_MAX', doc: 'Longest time a long-poll is held open.' },
  'fanout.concurrency': { expected: 'a whole number, 1 or more', parse: positive(parseInteger), default: 10, env: 'SKADI_FANOUT_CONCURRENCY', doc: 'Default for a fan-out (`<selector> <message>`): most child jobs in flight (queuing, sent or running) at once; the next starts when one finishes. `--concurrency N` (or `--batch N`) overrides it per message.' },
  'fanout.maxFailures': { expected: 'a whole number, 0 for never', parse: nonNegative, default: 0, env: 'SKADI_FANOUT_MAX_FAILURES', doc: 'Default for a fan-out: once this many children failed or expired, the children not yet started are not started and the fan-out ends failed. 0: never stop. `--max-failures N` overrides it per message.' },
  'timers.interval': { expected: 'a duration such as 1s', parse: positive(parseDuration, 10), default: 1000, env: 'SKADI_TIMER_INTERVAL', doc: 'How often each process checks ack deadlines, job timeouts and offline agents.' },
  'demoAgent.enabled': { expected: 'true or false', parse: parseBoolean, default: true, env: 'SKADI_DEMO_AGENT', doc: 'Run the embedded demo agent (safe handlers: echo, uptime, date, df) inside the server.' },
  'demoAgent.name': { expected: 'an agent name (a-z, 0-9, -, _)', parse: agentName, default: 'local', env: 'SKADI_DEMO_AGENT_NAME', doc: 'Name of the embedded demo agent.' },
  'web.enabled': { expected: 'true or false', parse: parseBoolean, default: true, env: 'SKADI_WEB', doc: 'Serve the web chat and dashboard at /.' },
  'web.users': { expected: 'a list of {name, token} or {name, tokenHash}', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'Web chat logins. Without any, an `admin` user is created with a token kept in the data directory and printed at start (on a terminal only).' },
  slack: { expected: 'an object (see "Slack")', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'The Slack adapter: mode (socket or http), tokens, signing secret; absent = Slack off. Secrets also from SKADI_SLACK_BOT_TOKEN, SKADI_SLACK_APP_TOKEN, SKADI_SLACK_SIGNING_SECRET.' },
  teams: { expected: 'an object (see "Microsoft Teams")', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'The Teams adapter: Bot Framework app id, password, tenant; absent = Teams off. Secrets also from SKADI_TEAMS_APP_ID, SKADI_TEAMS_APP_PASSWORD, SKADI_TEAMS_TENANT_ID.' },
  wechat: { expected: 'an object (see "WeChat")', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'The WeChat adapter: wechaty puppet name and token; absent = WeChat off. Also SKADI_WECHAT_PUPPET, SKADI_WECHAT_PUPPET_TOKEN.' },
  email: { expected: 'an object (see "Email")', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'The email adapter: IMAP mailbox, SMTP server, allowed senders; absent = email off. Passwords also from SKADI_EMAIL_IMAP_PASSWORD, SKADI_EMAIL_SMTP_PASSWORD.' },
  access: { expected: 'an object with groups and rules', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'Who may use which agents and commands (default deny); see "Access control".' },
  'watch.notify': { expected: 'a map {platform, conversationId, threadId?} (JSON in the environment), or empty', parse: parseWatchNotify, default: null as WatchNotifyTarget | null, env: 'SKADI_WATCH_NOTIFY', doc: 'Posts fleet events (an agent offline or back, version drift) to this conversation of any platform, e.g. {platform: slack, conversationId: C0123, threadId: "1712…"}; a process that runs that platform posts them.' },
  'watch.driftInterval': { expected: 'a duration such as 30s', parse: positive(parseDuration, 100), default: 30_000, env: 'SKADI_WATCH_DRIFT_INTERVAL', doc: 'How often the versions of the online agents are compared (EventFleetDrift when the set changes).' },
  'log.level': { expected: 'fatal, error, warn, info, debug, trace or silent', parse: logLevel, default: 'info', env: 'SKADI_LOG_LEVEL', doc: 'Log level (JSON logs on stdout).' },
  'data.dir': { expected: 'a directory path', parse: str(), default: './data', env: 'SKADI_DATA_DIR', doc: 'Directory for the SQLite file and generated secrets.' },
} as const satisfies Record<string, KeySpec<unknown>>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
/** Parsed values by dotted key, before they are shaped into SkadiConfig. */
export type FlatConfig = { -readonly [K in ConfigKey]: unknown };

/**
 * Environment variables that fill a field inside a structured section (platform secrets stay
 * out of config files). The section's own validator then checks the merged object.
 */
export const STRUCTURED_ENV: Readonly<Record<string, string>> = {
  SKADI_SLACK_BOT_TOKEN: 'slack.botToken',
  SKADI_SLACK_APP_TOKEN: 'slack.appToken',
  SKADI_SLACK_SIGNING_SECRET: 'slack.signingSecret',
  SKADI_TEAMS_APP_ID: 'teams.appId',
  SKADI_TEAMS_APP_PASSWORD: 'teams.appPassword',
  SKADI_TEAMS_TENANT_ID: 'teams.tenantId',
  SKADI_WECHAT_PUPPET: 'wechat.puppet',
  SKADI_WECHAT_PUPPET_TOKEN: 'wechat.puppetToken',
  SKADI_EMAIL_IMAP_PASSWORD: 'email.imap.password',
  SKADI_EMAIL_SMTP_PASSWORD: 'email.smtp.password',
};
