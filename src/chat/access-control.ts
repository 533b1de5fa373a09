import { PermissionError, globMatch, parseSelector, selectorMatches, type AccessChecker, type AccessDecision, type AccessTarget, type AuditStore, type Clock } from '../core/index.js';
import type { AccessConfig, AccessRule } from './access-config.js';


export type { AccessConfig, AccessRule, ValidateAccessOptions } from './access-config.js';
export { validateAccessConfig } from './access-config.js';

export interface AccessControlDeps {
  audit: AuditStore;
  clock: Clock;
  /**
   * Labels of an agent by name (null: no such agent). `decide` asks when a rule of the identity
   * grants by label selector and the caller did not pass the labels. Without it, such rules
   * match only when the caller passes them.
   */
  agentLabels?: (agent: string) => Promise<Readonly<Record<string, string>> | null>;
}

/** An AccessChecker over one validated config; `evaluate` is the pure part, for tests and `allows`. */
export interface AccessControl extends AccessChecker {
  evaluate(identity: string, target: AccessTarget): AccessDecision & { rule: number | null };
}

/** One `agents:` entry, compiled: true when it grants the agent. */
type AgentMatcher = { bySelector: boolean; matches: (name: string, labels: Readonly<Record<string, string>> | undefined) => boolean };

interface CompiledRule {
  index: number;
  /** Lower-cased identity patterns, groups expanded. */
  who: string[];
  agents: readonly AgentMatcher[];
  /** Some entry needs the agent's labels. */
  bySelector: boolean;
  commands: ReadonlySet<string>;
}

const PLAIN_ENTRY = /^[a-z0-9_*?-]+$/;

function compileAgentEntry(entry: string): AgentMatcher {
  // Names and globs keep matching names only: a bare word in a selector also matches a label of
  // that name, and an existing grant for agent `db` must not widen to every agent labelled `db`.
  if (PLAIN_ENTRY.test(entry)) return { bySelector: false, matches: (name) => globMatch(entry, name) };
  const selector = parseSelector(entry);
  // Unknown labels never match (default deny): `!canary` must not grant an agent we know nothing about.
  return { bySelector: true, matches: (name, labels) => labels !== undefined && selectorMatches(selector, { name, labels }) };
}

function compile(config: AccessConfig): CompiledRule[] {
  return config.rules.map((rule: AccessRule, index) => {
    const agents = rule.agents.map(compileAgentEntry);
    return {
      index,
      who: rule.who.flatMap((entry) => (entry.startsWith('group:') ? (config.groups[entry.slice(6)] ?? []) : [entry])).map((entry) => entry.toLowerCase()),
      agents,
      bySelector: agents.some((matcher) => matcher.bySelector),
      commands: new Set(rule.commands),
    };
  });
}

function matchesWho(rule: CompiledRule, identity: string): boolean {
  // Identities compare case-insensitively: email addresses and Teams GUIDs are case-insensitive,
  // and a config written as `web:Alice` should not silently deny `web:alice`.
  return rule.who.some((pattern) => pattern === '*' || globMatch(pattern, identity));
}

function grantsAgent(rule: CompiledRule, target: AccessTarget): boolean {
  const agent = target.agent;
  return agent === undefined || rule.agents.some((matcher) => matcher.matches(agent, target.labels));
}

function grantsCommand(rule: CompiledRule, target: AccessTarget): boolean {
  if (target.command === undefined && target.permission === undefined) return true;
  if (rule.commands.has('*')) return true;
  return (target.command !== undefined && rule.commands.has(target.command)) || (target.permission !== undefined && rule.commands.has(target.permission));
}

function describeTarget(target: AccessTarget): string {
  if (target.command && target.agent) return `use ${target.command} on ${target.agent}`;
  if (target.command) return `use the ${target.command} command`;
  if (target.agent) return `run jobs on ${target.agent}`;
  return `do that (it needs the ${target.permission} permission)`;
}

function askFor(identity: string, missing: NonNullable<AccessDecision['missing']>): string {
  const parts: string[] = [];
  if (missing.agent) parts.push(`agent ${missing.agent}`);
  if (missing.command) parts.push(`command ${missing.command}${missing.permission ? ` (or permission ${missing.permission})` : ''}`);
  else if (missing.permission) parts.push(`permission ${missing.permission}`);
  return `ask an admin to add ${identity} to a rule for ${parts.join(' and ')}`;
}

/** What to ask for: the parts no rule of this identity grants, or all of them if none does it alone. */
function missingParts(rules: CompiledRule[], target: AccessTarget): NonNullable<AccessDecision['missing']> {
  const agentOk = target.agent === undefined || rules.some((rule) => grantsAgent(rule, target));
  const commandOk = rules.some((rule) => grantsCommand(rule, target));
  const missing: NonNullable<AccessDecision['missing']> = {};
  const both = agentOk && commandOk; // granted separately, but one rule must grant both
  if (target.agent !== undefined && (!agentOk || both)) missing.agent = target.agent;
  if (!commandOk || both) {
    if (target.command !== undefined) missing.command = target.command;
    if (target.permission !== undefined) missing.permission = target.permission;
  }
  return missing;
}

/**
 * Default-deny access control (DESIGN.md "Access control"). Every `decide` is written to the
 * audit log, allowed or not; `allows` is the same decision unaudited, for filtering listings.
 */
export function createAccessControl(config: AccessConfig, deps: AccessControlDeps): AccessControl {
  const rules = compile(config);

  function evaluate(identity: string, target: AccessTarget): AccessDecision & { rule: number | null } {
    if (target.agent === undefined && target.command === undefined && target.permission === undefined) {
      throw new TypeError('access target must name an agent, a command or a permission');
    }
    const who = identity.toLowerCase();
    const mine = identity.trim() === '' ? [] : rules.filter((rule) => matchesWho(rule, who));
    const granting = mine.find((rule) => grantsAgent(rule, target) && grantsCommand(rule, target));
    if (granting) return { allowed: true, reason: `allowed by access rule ${granting.index + 1}`, missing: null, rule: granting.index };
    const missing = missingParts(mine, target);
    const reason = `you may not ${describeTarget(target)}; ${askFor(identity, missing)}`;
    return { allowed: false, reason, missing, rule: null };
  }

  /** Fills in the agent's labels when a rule of this identity grants by selector and they are missing. */
  async function withLabels(identity: string, target: AccessTarget): Promise<AccessTarget> {
    if (target.agent === undefined || target.labels !== undefined || !deps.agentLabels) return target;
    const who = identity.toLowerCase();
    if (!rules.some((rule) => rule.bySelector && matchesWho(rule, who))) return target;
    const labels = await deps.agentLabels(target.agent);
    return labels ? { ...target, labels } : target;
  }

  return {
    evaluate,
    allows: (identity, target) => evaluate(identity, target).allowed,
    async decide(identity, target, context) {
      const { rule, ...decision } = evaluate(identity, await withLabels(identity, target));
      const targetText = Object.entries(target)
        .filter(([name, value]) => value !== undefined && name !== 'labels')
        .map(([name, value]) => `${name}:${String(value)}`)
        .join(' ');
      await deps.audit.append({
        at: deps.clock.now(),
        actor: identity,
        action: 'access.decide',
        target: targetText,
        decision: decision.allowed ? 'allow' : 'deny',
        detail: { ...context, reason: decision.reason, rule, missing: decision.missing },
      });
      return decision;
    },
  };
}

/**
 * Decides (audited) and throws PermissionError (SKADI_FORBIDDEN) with the refusal sentence when
 * denied; for callers that answer with an error, such as the user API.
 */
export async function authorize(access: AccessChecker, identity: string, target: AccessTarget, context?: Record<string, unknown>): Promise<void> {
  const decision = await access.decide(identity, target, context);
  if (!decision.allowed) throw new PermissionError(decision.reason, { missing: decision.missing });
}
