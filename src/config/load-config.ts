import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { closestNames } from '../core/closest-names.js';
import { CONFIG_SCHEMA, STRUCTURED_ENV, type ConfigKey, type FlatConfig, type WebUser } from './config-schema.js';
import type { SkadiConfig } from './skadi-config.js';

export interface LoadConfigOptions {
  /** Path of a YAML or JSON config file (also taken from SKADI_CONFIG). */
  file?: string | null;
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, by dotted key; they win over everything. */
  flags?: Partial<Record<string, unknown>>;
  /**
   * Validators of structured sections (`access`, `slack`, `teams`, `wechat`, `email`), run once
   * here; each returns the typed value that replaces the raw one. A section that is absent
   * (null) is not validated.
   */
  validate?: Partial<Record<StructuredKey, (value: unknown) => unknown>>;
}

type StructuredKey = 'access' | 'slack' | 'teams' | 'wechat' | 'email';

const KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];
/** Keys whose value is a whole structure, not flattened further. */
const STRUCTURED = new Set<string>(['web.users', 'access', 'slack', 'teams', 'wechat', 'email']);

/**
 * Loads the configuration: defaults < config file < SKADI_* environment < flags. Validated
 * once; a bad value throws ConfigError naming the key, the value and what was expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<SkadiConfig> {
  const env = options.env ?? process.env;
  const layers: Array<[string, Record<string, unknown>]> = [];
  const file = options.file ?? env.SKADI_CONFIG ?? null;
  if (file) layers.push([`file ${file}`, flatten(readConfigFile(file), '')]);
  layers.push(['environment', fromEnv(env)]);
  if (options.flags) layers.push(['flags', checkKnown(options.flags as Record<string, unknown>, 'flag')]);

  const flat = {} as FlatConfig;
  for (const key of KEYS) {
    const spec = CONFIG_SCHEMA[key];
    flat[key] = spec.default;
    for (const [source, values] of layers) {
      if (!(key in values)) continue;
      const raw = values[key];
      const parsed = (spec.parse as (r: unknown) => unknown)(raw);
      if (parsed === undefined) {
        const shown = (spec as { secret?: boolean }).secret ? 'the value (not shown)' : JSON.stringify(raw);
        throw new ConfigError(key, `${shown} (from ${source}) is not valid: expected ${spec.expected}`);
      }
      flat[key] = parsed;
    }
  }
  applyStructuredEnv(flat, env);
  for (const [key, validate] of Object.entries(options.validate ?? {}) as Array<[StructuredKey, (v: unknown) => unknown]>) {
    if (flat[key] !== null && flat[key] !== undefined) flat[key] = validate(flat[key]);
  }
  return deepFreeze(shape(flat));
}

/** Merges STRUCTURED_ENV variables into their sections (creating a section an env var names). */
function applyStructuredEnv(flat: FlatConfig, env: Record<string, string | undefined>): void {
  for (const [name, path] of Object.entries(STRUCTURED_ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const [section, ...rest] = path.split('.') as [ConfigKey, ...string[]];
    const current = flat[section];
    if (current !== null && current !== undefined && (typeof current !== 'object' || Array.isArray(current))) throw new ConfigError(section, `expected an object (${name} sets ${path})`);
    const root: Record<string, unknown> = current ? structuredClone(current as Record<string, unknown>) : {};
    let node = root;
    for (const part of rest.slice(0, -1)) {
      const next = node[part];
      node = node[part] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    }
    node[rest[rest.length - 1]!] = value;
    flat[section] = root;
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError('config', `config file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config', `config file ${file} must hold a mapping of keys`);
  return doc as Record<string, unknown>;
}

function flatten(obj: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (STRUCTURED.has(key) || (KEYS as string[]).includes(key)) out[key] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v) && KEYS.some((known) => known.startsWith(`${key}.`))) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else throw unknownKey(key, 'config key');
  }
  return out;
}

function checkKnown(values: Record<string, unknown>, what: string): Record<string, unknown> {
  for (const key of Object.keys(values)) if (!(KEYS as string[]).includes(key)) throw unknownKey(key, what);
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const name = (CONFIG_SCHEMA[key] as { env?: string }).env;
    if (name && env[name] !== undefined) out[key] = env[name];
  }
  return out;
}

function unknownKey(key: string, what: string): ConfigError {
  const near = closestNames(key, KEYS);
  const hint = near.length ? `; did you mean ${near.slice(0, 3).join(', ')}?` : `; known keys: ${KEYS.join(', ')}`;
  return new ConfigError(key, `unknown ${what}${hint}`);
}

function webUsers(raw: unknown): WebUser[] | null {
  if (raw === null || raw === undefined) return null;
  if (!Array.isArray(raw)) throw new ConfigError('web.users', 'expected a list of {name, token} or {name, tokenHash}');
  return raw.map((u, i) => {
    const key = `web.users[${i}]`;
    if (!u || typeof u !== 'object') throw new ConfigError(key, 'expected {name, token} or {name, tokenHash}');
    const { name, token, tokenHash, ...rest } = u as Record<string, unknown>;
    if (Object.keys(rest).length) throw new ConfigError(`${key}.${Object.keys(rest)[0]}`, 'unknown key; expected name and token or tokenHash');
    if (typeof name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new ConfigError(`${key}.name`, 'expected 1-64 characters of letters, digits, . _ @ -');
    if (typeof tokenHash === 'string' && /^[0-9a-f]{64}$/.test(tokenHash)) return { name, tokenHash };
    if (typeof token === 'string' && token.length >= 12) return { name, tokenHash: createHash('sha256').update(token).digest('hex') };
    throw new ConfigError(`${key}.token`, 'expected a token of at least 12 characters, or tokenHash as 64 hex digits (SHA-256)');
  });
}

function shape(f: FlatConfig): SkadiConfig {
  const v = f as Record<ConfigKey, never>;
  return {
    server: { host: v['server.host'], port: v['server.port'], publicUrl: v['server.publicUrl'], bodyLimit: v['server.bodyLimit'] },
    database: { url: v['database.url'], migrate: v['database.migrate'] },
    redis: { url: v['redis.url'], keyPrefix: v['redis.keyPrefix'] },
    node: { id: v['node.id'] },
    jobs: { timeoutMs: v['jobs.timeout'], ackTimeoutMs: v['jobs.ackTimeout'], maxOutput: v['jobs.maxOutput'], maxMessageLength: v['jobs.maxMessageLength'], signingKey: v['jobs.signingKey'], redact: v['jobs.redact'] },
    agents: { offlineAfterMs: v['agents.offlineAfter'], pollWaitMaxMs: v['agents.pollWaitMax'], maxConcurrentJobs: v['agents.maxConcurrentJobs'] },
    rateLimit: { user: v['rateLimit.user'], agent: v['rateLimit.agent'] },
    timers: { intervalMs: v['timers.interval'] },
    fanout: { concurrency: v['fanout.concurrency'], maxFailures: v['fanout.maxFailures'] },
    demoAgent: { enabled: v['demoAgent.enabled'], name: v['demoAgent.name'] },
    web: { enabled: v['web.enabled'], users: webUsers(v['web.users']) },
    access: v.access,
    slack: v.slack,
    teams: v.teams,
    wechat: v.wechat,
    email: v.email,
    watch: { notify: v['watch.notify'], driftIntervalMs: v['watch.driftInterval'] },
    log: { level: v['log.level'] },
    data: { dir: v['data.dir'] },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
