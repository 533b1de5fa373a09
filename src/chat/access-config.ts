import { ConfigError, SelectorError, looksLikeSelector, parseSelector } from '../core/index.js';

/**
 * The `access` section of the config. Default deny: an identity may use an agent or a command
 * only if a rule whose `who` matches it lists that agent (or a glob matching it) and, for a
 * command, that command's name or its permission. One rule must grant the whole request:
 * `rerun` on db-1 needs a rule with agent db-1 and command rerun.
 */
export interface AccessConfig {
  /** Group name -> members (identities such as `web:alice`, or identity globs such as `slack:T1/*`). */
  groups: Readonly<Record<string, readonly string[]>>;
  rules: readonly AccessRule[];
}

export interface AccessRule {
  /** Identities, identity globs, `group:NAME`, or `*` (anyone the platform authenticated). */
  who: readonly string[];
  /**
   * Agent names or globs (`web-*`), `*`, or label selectors (`role=web`, `role in (web,api)`,
   * `role=web,!canary`): see src/core/selector.ts.
   */
  agents: readonly string[];
  /** Built-in command names, permissions (`jobs:read`, `jobs:cancel:any`), or `*` (all of them). */
  commands: readonly string[];
}

export interface ValidateAccessOptions {
  /** Command names and permissions that exist; unknown ones are refused (typos would silently deny). */
  knownCommands?: Iterable<string>;
  /** Config path of the section, for error messages. */
  key?: string;
}

const IDENTITY = /^[a-z][a-z0-9-]*:\S+$/i;
const GROUP_NAME = /^[a-z0-9][a-z0-9_-]*$/i;
const AGENT_GLOB = /^[a-z0-9_*?-]+$/;
const RULE_KEYS = ['who', 'agents', 'commands'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list of non-empty strings; a single string is taken as a list of one (YAML shorthand). */
function stringList(value: unknown, key: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new ConfigError(key, `expected a list of strings, got ${JSON.stringify(value)}`);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') throw new ConfigError(`${key}[${i}]`, `expected a non-empty string, got ${JSON.stringify(item)}`);
    return item.trim();
  });
}

function checkIdentity(entry: string, key: string): void {
  if (!IDENTITY.test(entry)) throw new ConfigError(key, `"${entry}" is not an identity; expected <platform>:<id> such as web:alice or slack:T1/U2 (globs allowed: slack:T1/*)`);
}

/**
 * A plain name or glob, or else a selector. An entry without any selector operator must be a
 * valid name or glob, so a typo such as `Web-1` stays an error instead of silently becoming
 * "agents carrying the label Web-1".
 */
function checkAgentEntry(entry: string, key: string): void {
  if (AGENT_GLOB.test(entry)) return;
  if (!looksLikeSelector(entry)) throw new ConfigError(key, `"${entry}" is not an agent name or glob (a-z, 0-9, -, _, * and ?) nor a label selector such as role=web`);
  try {
    parseSelector(entry);
  } catch (err) {
    if (err instanceof SelectorError) throw new ConfigError(key, `"${entry}" is not a valid selector: ${err.message.replace(/^selector "(?:[^"\\]|\\.)*": /, '')}`);
    throw err;
  }
}

function validateGroups(raw: unknown, key: string): Record<string, readonly string[]> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new ConfigError(key, 'expected a map of group name to a list of identities');
  const groups: Record<string, readonly string[]> = {};
  for (const [name, members] of Object.entries(raw)) {
    if (!GROUP_NAME.test(name)) throw new ConfigError(`${key}.${name}`, 'group names are letters, digits, - and _');
    const list = stringList(members, `${key}.${name}`);
    list.forEach((member, i) => {
      if (member.startsWith('group:')) throw new ConfigError(`${key}.${name}[${i}]`, 'groups cannot contain groups; list the identities');
      checkIdentity(member, `${key}.${name}[${i}]`);
    });
    groups[name] = Object.freeze(list);
  }
  return groups;
}

function validateRule(raw: unknown, key: string, groups: Record<string, readonly string[]>, known: Set<string> | null): AccessRule {
  if (!isRecord(raw)) throw new ConfigError(key, 'expected a rule: {who: [...], agents: [...], commands: [...]}');
  for (const name of Object.keys(raw)) {
    if (!RULE_KEYS.includes(name)) {
      const hint = RULE_KEYS.find((k) => k.startsWith(name.slice(0, 3)));
      throw new ConfigError(`${key}.${name}`, `unknown key${hint ? `; did you mean ${hint}?` : ''} (a rule has who, agents and commands)`);
    }
  }
  if (raw.who === undefined) throw new ConfigError(`${key}.who`, 'missing: whom the rule is for (identities, group:NAME or "*")');
  const who = stringList(raw.who, `${key}.who`);
  if (who.length === 0) throw new ConfigError(`${key}.who`, 'must name at least one identity or group');
  who.forEach((entry, i) => {
    if (entry === '*') return;
    if (entry.startsWith('group:')) {
      if (!Object.hasOwn(groups, entry.slice(6))) throw new ConfigError(`${key}.who[${i}]`, `no group "${entry.slice(6)}" under access.groups`);
      return;
    }
    checkIdentity(entry, `${key}.who[${i}]`);
  });
  const agents = raw.agents === undefined ? [] : stringList(raw.agents, `${key}.agents`);
  agents.forEach((agent, i) => checkAgentEntry(agent, `${key}.agents[${i}]`));
  const commands = raw.commands === undefined ? [] : stringList(raw.commands, `${key}.commands`).map((c) => c.toLowerCase());
  commands.forEach((command, i) => {
    if (command !== '*' && known && !known.has(command)) {
      throw new ConfigError(`${key}.commands[${i}]`, `unknown command or permission "${command}"; known: ${[...known].sort().join(', ')}`);
    }
  });
  if (agents.length === 0 && commands.length === 0) throw new ConfigError(key, 'the rule grants nothing: list agents, commands or both');
  return Object.freeze({ who: Object.freeze(who), agents: Object.freeze(agents), commands: Object.freeze(commands) });
}

/**
 * Checks the `access` section (as parsed from YAML) and returns it typed and frozen. Throws
 * ConfigError naming the first bad key, e.g. `access.rules[1].who[0]`. An absent section is
 * valid and denies everything.
 */
export function validateAccessConfig(raw: unknown, options: ValidateAccessOptions = {}): AccessConfig {
  const key = options.key ?? 'access';
  if (raw === undefined || raw === null) return Object.freeze({ groups: Object.freeze({}), rules: Object.freeze([]) });
  if (!isRecord(raw)) throw new ConfigError(key, 'expected a map with groups and rules');
  for (const name of Object.keys(raw)) {
    if (name !== 'groups' && name !== 'rules') throw new ConfigError(`${key}.${name}`, 'unknown key; the access section has groups and rules');
  }
  const groups = validateGroups(raw.groups, `${key}.groups`);
  const known = options.knownCommands ? new Set([...options.knownCommands].map((c) => c.toLowerCase())) : null;
  if (raw.rules !== undefined && !Array.isArray(raw.rules)) throw new ConfigError(`${key}.rules`, 'expected a list of rules');
  const rules = ((raw.rules as unknown[] | undefined) ?? []).map((rule, i) => validateRule(rule, `${key}.rules[${i}]`, groups, known));
  return Object.freeze({ groups: Object.freeze(groups), rules: Object.freeze(rules) });
}
