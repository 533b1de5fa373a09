import { parseBoolean, parseDuration, parseInteger, parseSize } from './parse-values.js';

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
  'node.id': { expected: 'a string', parse: optStr, default: null as string | null, env: 'SKADI_NODE_ID', doc: 'Stable name of this server process (Redis consumer name); default host name + port. Keep it stable across restarts so a restarted process resumes its pending events.' },
  'jobs.timeout': { expected: 'a duration such as 10m', parse: positive(parseDuration, 1000), default: 10 * 60_000, env: 'SKADI_JOB_TIMEOUT', doc: 'A job that has not finished this long after it was accepted expires.' },
  'jobs.ackTimeout': { expected: 'a duration such as 15s', parse: positive(parseDuration, 100), default: 15_000, env: 'SKADI_ACK_TIMEOUT', doc: 'A job handed to an agent that does not acknowledge it within this time goes back to the queue.' },
  'jobs.maxOutput': { expected: 'a size such as 4MiB', parse: positive(parseSize, 1024), default: 4 * 1024 * 1024, env: 'SKADI_MAX_OUTPUT', doc: 'Output kept per job; beyond it the job is marked output-truncated (said so in the reply).' },
  'jobs.maxMessageLength': { expected: 'a whole number', parse: positive(parseInteger), default: 4000, env: 'SKADI_MAX_MESSAGE_LENGTH', doc: 'Longest job message accepted.' },
  'agents.offlineAfter': { expected: 'a duration such as 3m', parse: positive(parseDuration, 1000), default: 3 * 60_000, env: 'SKADI_OFFLINE_AFTER', doc: 'An agent that has not polled for this long is offline; its waiting jobs expire.' },
  'agents.pollWaitMax': { expected: 'a duration such as 30s', parse: positive(parseDuration, 0), default: 30_000, env: 'SKADI_POLL_WAIT_MAX', doc: 'Longest time a long-poll is held open.' },
  'timers.interval': { expected: 'a duration such as 1s', parse: positive(parseDuration, 10), default: 1000, env: 'SKADI_TIMER_INTERVAL', doc: 'How often each process checks ack deadlines, job timeouts and offline agents.' },
  'demoAgent.enabled': { expected: 'true or false', parse: parseBoolean, default: true, env: 'SKADI_DEMO_AGENT', doc: 'Run the embedded demo agent (safe handlers: echo, uptime, date, df) inside the server.' },
  'demoAgent.name': { expected: 'an agent name (a-z, 0-9, -, _)', parse: agentName, default: 'local', env: 'SKADI_DEMO_AGENT_NAME', doc: 'Name of the embedded demo agent.' },
  'web.enabled': { expected: 'true or false', parse: parseBoolean, default: true, env: 'SKADI_WEB', doc: 'Serve the web chat and dashboard at /.' },
  'web.users': { expected: 'a list of {name, token} or {name, tokenHash}', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'Web chat logins. Without any, an `admin` user is created with a token kept in the data directory and printed at start.' },
  access: { expected: 'an object with groups and rules', parse: (r: unknown) => r as StructuredValue, default: null as StructuredValue, doc: 'Who may use which agents and commands (default deny); see "Access control".' },
  'log.level': { expected: 'fatal, error, warn, info, debug, trace or silent', parse: logLevel, default: 'info', env: 'SKADI_LOG_LEVEL', doc: 'Log level (JSON logs on stdout).' },
  'data.dir': { expected: 'a directory path', parse: str(), default: './data', env: 'SKADI_DATA_DIR', doc: 'Directory for the SQLite file and generated secrets.' },
} as const satisfies Record<string, KeySpec<unknown>>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
/** Parsed values by dotted key, before they are shaped into SkadiConfig. */
export type FlatConfig = { -readonly [K in ConfigKey]: unknown };
