import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { AGENT_NAME_PATTERN } from '../core/agent.js';
import { parseVerifyKey, publicKeyBase64 } from '../core/job-signature.js';
import { compileRedactions, type RedactionRule } from '../core/redaction.js';
import { parseDuration, parseSize } from '../core/index.js';

/**
 * The reference agent's own config: one YAML file on the target server. It is the only
 * source of what the agent may run; nothing the server sends can widen it.
 *
 * ```yaml
 * name: web-1               # this agent's name (as in `skadi agent add web-1`); required with serverPublicKey
 * serverPublicKey: "MCowBQ…="   # the server's job-signing key (`skadi keys show`); a list during a key rotation
 * # allowUnsignedJobs: true # instead of serverPublicKey: run unsigned jobs (not recommended)
 * journal: /var/lib/skadi-agent/jobs.journal   # ids of jobs already run (default: next to this file)
 * redact: [hunter2, { regex: "AKIA[0-9A-Z]{16}" }]   # replaced by [redacted] in the output sent
 * concurrency: 4            # jobs run at once (1-256, default 4)
 * labels: { role: web, region: eu }   # reported on every check-in (default none)
 * allowShell: false         # `sh <command>` runs via /bin/sh -c only when this is exactly true
 * defaults: { timeout: 10m, outputCap: 1MiB }   # for handlers that do not set their own
 * handlers:
 *   uptime: { argv: [uptime] }
 *   echo:   { argv: [echo, "{args}"] }   # {args} expands to the remaining words, one argv element each
 *   df:     { argv: [df, -h], timeout: 30s }
 *   deploy:
 *     argv: [/opt/deploy.sh, "{args}"]
 *     timeout: 15m            # 30s, 10m, 1h, 1h30m, 500ms, or a number of milliseconds
 *     outputCap: 5MiB         # 512B, 64KiB, 1MiB, 1GiB, or a number of bytes
 *     cwd: /opt               # absolute path
 *     env: { FOO: bar }       # added to the agent's environment
 *     allowArgs: "^[a-z0-9._-]+$"   # every argument must match, as a whole
 * ```
 *
 * The first word of a job message names the handler (exact match, else case-insensitive);
 * a handler without `{args}` refuses extra words. Processes run without a shell, in their
 * own process group, with stdin closed. Unknown keys are errors, so a typo never turns
 * into a silently ignored limit.
 */
export interface AgentConfig {
  /** This agent's own name, pinned locally: signed jobs for another name are refused. */
  readonly name: string | null;
  /** The server's job-signing public keys (base64 of the raw 32 bytes), normalised. */
  readonly serverPublicKeys: readonly string[];
  readonly allowUnsignedJobs: boolean;
  /** Journal file as written (relative paths are relative to the config file); null: the default. */
  readonly journal: string | null;
  /** Secrets to replace by `[redacted]` in the output before it is sent. */
  readonly redact: readonly RedactionRule[];
  readonly concurrency: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly allowShell: boolean;
  readonly defaults: { readonly timeoutMs: number; readonly outputCap: number };
  readonly handlers: Readonly<Record<string, HandlerConfig>>;
}

/** One handler, with the defaults already applied. */
export interface HandlerConfig {
  /** Literal argv elements; the element `{args}` stands for the job's remaining words. */
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  /** Most output bytes collected; beyond it output is dropped with a note, the process keeps running. */
  readonly outputCap: number;
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  /** Every argument must match this (anchored, Unicode) pattern. */
  readonly allowArgs?: RegExp;
}

/** The argv element that expands to the job's arguments. */
export const ARGS_PLACEHOLDER = '{args}';

const TOP_KEYS = ['name', 'serverPublicKey', 'allowUnsignedJobs', 'journal', 'redact', 'concurrency', 'labels', 'allowShell', 'defaults', 'handlers'];
const DEFAULTS_KEYS = ['timeout', 'outputCap'];
const HANDLER_KEYS = ['argv', 'timeout', 'outputCap', 'cwd', 'env', 'allowArgs'];
const HANDLER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TIMEOUT_MS = 7 * 86_400_000;
const MAX_OUTPUT_CAP = 256 * 1024 ** 2;

type Raw = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function fail(key: string, expected: string, value: unknown): never {
  throw new ConfigError(key, `expected ${expected}, got ${describe(value)}`);
}

function mapping(value: unknown, key: string, allowed?: readonly string[]): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, 'a mapping', value);
  if (allowed) {
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) throw new ConfigError(key ? `${key}.${k}` : k, `unknown key; expected one of ${allowed.join(', ')}`);
    }
  }
  return value as Raw;
}

/** Scalars YAML may type as numbers or booleans (`region: 1`) are accepted as their text. */
function scalarText(value: unknown, key: string, expected: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(key, expected, value);
}

function duration(value: unknown, key: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1 || ms > MAX_TIMEOUT_MS) fail(key, 'a duration between 1ms and 7d such as 30s, 10m or 1h, or a number of milliseconds', value);
  return ms;
}

function size(value: unknown, key: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < 1 || bytes > MAX_OUTPUT_CAP) fail(key, 'a size between 1B and 256MiB such as 64KiB or 1MiB (units B, KiB, MiB, GiB), or a number of bytes', value);
  return bytes;
}

function stringMap(value: unknown, key: string, keyPattern: RegExp, keyExpected: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(mapping(value, key))) {
    if (!keyPattern.test(k)) throw new ConfigError(`${key}.${k}`, `invalid name; expected ${keyExpected}`);
    out[k] = scalarText(v, `${key}.${k}`, 'a string');
  }
  return out;
}

function parseArgv(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(key, `a non-empty list of strings such as [df, -h] or [echo, "${ARGS_PLACEHOLDER}"]`, value);
  const argv = value.map((v, i) => scalarText(v, `${key}[${i}]`, 'a string'));
  argv.forEach((element, i) => {
    if (element.includes('\0')) throw new ConfigError(`${key}[${i}]`, 'must not contain a NUL character');
    if (element !== ARGS_PLACEHOLDER && element.includes(ARGS_PLACEHOLDER)) {
      throw new ConfigError(`${key}[${i}]`, `${ARGS_PLACEHOLDER} must be a list element of its own, got ${JSON.stringify(element)}`);
    }
  });
  if (argv[0] === '' || argv[0] === ARGS_PLACEHOLDER) fail(`${key}[0]`, 'the program to run (a path or a name on PATH)', argv[0]);
  if (argv.filter((e) => e === ARGS_PLACEHOLDER).length > 1) throw new ConfigError(key, `${ARGS_PLACEHOLDER} may appear at most once`);
  return argv;
}

function parseAllowArgs(value: unknown, key: string): RegExp {
  if (typeof value !== 'string' || value === '') fail(key, 'a regular expression as a string, such as "^[a-z0-9._-]+$"', value);
  try {
    // Anchored whatever the author wrote: an unanchored pattern would let `--evil;x` through.
    return new RegExp(`^(?:${value})$`, 'u');
  } catch (err) {
    throw new ConfigError(key, `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

function parseHandler(value: unknown, key: string, defaults: AgentConfig['defaults']): HandlerConfig {
  const raw = mapping(value, key, HANDLER_KEYS);
  if (raw.argv === undefined) throw new ConfigError(`${key}.argv`, 'is required (the program and its arguments, as a list)');
  let cwd: string | undefined;
  if (raw.cwd !== undefined) {
    if (typeof raw.cwd !== 'string' || !isAbsolute(raw.cwd)) fail(`${key}.cwd`, 'an absolute path', raw.cwd);
    cwd = raw.cwd;
  }
  return Object.freeze({
    argv: Object.freeze(parseArgv(raw.argv, `${key}.argv`)),
    timeoutMs: raw.timeout === undefined ? defaults.timeoutMs : duration(raw.timeout, `${key}.timeout`),
    outputCap: raw.outputCap === undefined ? defaults.outputCap : size(raw.outputCap, `${key}.outputCap`),
    ...(cwd === undefined ? {} : { cwd }),
    env: Object.freeze(raw.env === undefined ? {} : stringMap(raw.env, `${key}.env`, ENV_NAME, 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)')),
    ...(raw.allowArgs === undefined ? {} : { allowArgs: parseAllowArgs(raw.allowArgs, `${key}.allowArgs`) }),
  });
}

function parsePublicKeys(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail('serverPublicKey', 'a public key (base64, as `skadi keys show` prints it, or a PEM), or a list of them', value);
  return list.map((v, i) => {
    const key = Array.isArray(value) ? `serverPublicKey[${i}]` : 'serverPublicKey';
    if (typeof v !== 'string' || v.trim() === '') fail(key, 'a public key (base64, as `skadi keys show` prints it, or a PEM)', v);
    try {
      return publicKeyBase64(parseVerifyKey(v));
    } catch (err) {
      throw new ConfigError(key, (err as Error).message);
    }
  });
}

function parseRedact(value: unknown): RedactionRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('redact', 'a list of secrets: strings, or {regex: "…", flags?: "i"}', value);
  const rules = value.map((v) => (typeof v === 'number' ? String(v) : v) as RedactionRule);
  try {
    compileRedactions(rules);
  } catch (err) {
    throw new ConfigError(`redact${(err as Error).message.split(':')[0]}`, (err as Error).message.replace(/^\[\d+\][^:]*: /, ''));
  }
  return rules;
}

/**
 * Validates an already parsed config object (from YAML or code), applies defaults and
 * returns it frozen. Throws ConfigError naming the first bad key and what was expected.
 */
export function validateAgentConfig(value: unknown, source = 'agent config'): AgentConfig {
  // An empty file parses to null: report the missing handlers rather than "not a mapping".
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) fail(source, 'a mapping at the top level', value);
  const raw = value === null || value === undefined ? {} : mapping(value, '', TOP_KEYS);

  const concurrency = raw.concurrency ?? 4;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    fail('concurrency', 'an integer from 1 to 256', concurrency);
  }
  const allowShell = raw.allowShell ?? false;
  if (typeof allowShell !== 'boolean') fail('allowShell', 'true or false', allowShell);

  const rawDefaults = raw.defaults === undefined ? {} : mapping(raw.defaults, 'defaults', DEFAULTS_KEYS);
  const defaults = Object.freeze({
    timeoutMs: rawDefaults.timeout === undefined ? 10 * 60_000 : duration(rawDefaults.timeout, 'defaults.timeout'),
    outputCap: rawDefaults.outputCap === undefined ? 1024 ** 2 : size(rawDefaults.outputCap, 'defaults.outputCap'),
  });

  const rawHandlers = raw.handlers === undefined ? {} : mapping(raw.handlers, 'handlers');
  const handlers: Record<string, HandlerConfig> = {};
  for (const [name, spec] of Object.entries(rawHandlers)) {
    if (!HANDLER_NAME.test(name)) throw new ConfigError(`handlers.${name}`, 'invalid handler name; expected 1-64 characters of A-Z, a-z, 0-9, _, . and -, starting with a letter or digit');
    if (allowShell && name.toLowerCase() === 'sh') throw new ConfigError(`handlers.${name}`, 'the name sh is reserved for raw shell when allowShell is true');
    handlers[name] = parseHandler(spec, `handlers.${name}`, defaults);
  }
  if (Object.keys(handlers).length === 0 && !allowShell) {
    throw new ConfigError('handlers', 'at least one handler is required (or allowShell: true), otherwise the agent can run nothing');
  }

  if (raw.name !== undefined && (typeof raw.name !== 'string' || !AGENT_NAME_PATTERN.test(raw.name))) fail('name', 'an agent name (1-63 characters of a-z, 0-9, - and _)', raw.name);
  const allowUnsignedJobs = raw.allowUnsignedJobs ?? false;
  if (typeof allowUnsignedJobs !== 'boolean') fail('allowUnsignedJobs', 'true or false', allowUnsignedJobs);
  if (raw.journal !== undefined && (typeof raw.journal !== 'string' || raw.journal === '')) fail('journal', 'a file path', raw.journal);

  return Object.freeze({
    name: (raw.name as string | undefined) ?? null,
    serverPublicKeys: Object.freeze(parsePublicKeys(raw.serverPublicKey)),
    allowUnsignedJobs,
    journal: (raw.journal as string | undefined) ?? null,
    redact: Object.freeze(parseRedact(raw.redact)),
    concurrency,
    labels: Object.freeze(raw.labels === undefined ? {} : stringMap(raw.labels, 'labels', LABEL_KEY, 'a label name (letters, digits, _ . / -)')),
    allowShell,
    defaults,
    handlers: Object.freeze(handlers),
  });
}

/** Parses YAML text and validates it; `source` (the file path) names the file in syntax errors. */
export function parseAgentConfig(text: string, source = 'agent config'): AgentConfig {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(source, `invalid YAML: ${(err as Error).message}`);
  }
  return validateAgentConfig(value, source);
}

/** Reads and validates the agent config file at `path`. */
export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `cannot read the agent config file: ${(err as Error).message}`);
  }
  return parseAgentConfig(text, path);
}

/** The embedded demo agent: harmless, read-only handlers only. */
export const DEMO_AGENT_CONFIG: AgentConfig = validateAgentConfig({
  concurrency: 2,
  labels: { role: 'demo' },
  allowShell: false,
  defaults: { timeout: '30s', outputCap: '64KiB' },
  handlers: {
    echo: { argv: ['echo', ARGS_PLACEHOLDER] },
    uptime: { argv: ['uptime'] },
    date: { argv: ['date'] },
    df: { argv: ['df', '-h'] },
  },
});
