import { isSingleName, parseSelector, selectorMatches, type Selector, type SelectableAgent } from '../core/selector.js';
import type { JobTarget } from './api-client.js';

/** What the shell's commands apply to after `use`: one agent by name, or a selector. */
export interface ShellTarget {
  /** As typed (trimmed, outer quotes removed). */
  source: string;
  selector: Selector;
  /** One agent by its plain name: `send` sends with `agent`, not as a fan-out. */
  single: boolean;
}

const QUOTED = /^(["'])(.*)\1$/s;

/**
 * Parses the argument of `use`. Empty text means no target (`use` alone clears it); anything
 * else must parse as a selector (a plain agent name is one), else parseSelector's SelectorError
 * (position and hint) is thrown. The whole argument may be quoted: `use "role in (web,api)"`.
 */
export function parseTarget(text: string): ShellTarget | null {
  let source = text.trim();
  const quoted = QUOTED.exec(source);
  if (quoted) source = quoted[2]!.trim();
  if (source === '') return null;
  const selector = parseSelector(source);
  return { source, selector, single: isSingleName(selector) };
}

/**
 * A bare word is both an agent name and "has this label" in the selector language. Once the
 * fleet is known: a word that names no agent but is a label some agents carry is a selector
 * (fan-out), not a send to an agent that does not exist.
 */
export function refineTarget(target: ShellTarget, agents: readonly SelectableAgent[]): ShellTarget {
  if (!target.single) return target;
  if (agents.some((a) => a.name === target.source)) return target;
  return agents.some((a) => Object.hasOwn(a.labels, target.source)) ? { ...target, single: false } : target;
}

/** The agents among `agents` the target covers (all of them without a target). */
export function matchingAgents<T extends SelectableAgent>(target: ShellTarget | null, agents: readonly T[]): T[] {
  return target ? agents.filter((a) => selectorMatches(target.selector, a)) : [...agents];
}

/** The body part of POST /api/v1/jobs for the target. */
export function jobTargetOf(target: ShellTarget, fanout: { concurrency?: number; maxFailures?: number } = {}): JobTarget {
  if (target.single) return { agent: target.source };
  return { selector: target.source, ...(fanout.concurrency !== undefined ? { concurrency: fanout.concurrency } : {}), ...(fanout.maxFailures !== undefined ? { maxFailures: fanout.maxFailures } : {}) };
}

/** `skadi> ` without a target, `skadi [role=web]> ` with one (a long selector shortened). */
export function promptFor(target: ShellTarget | null): string {
  if (!target) return 'skadi> ';
  const chars = [...target.source];
  const shown = chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : target.source;
  return `skadi [${shown}]> `;
}
