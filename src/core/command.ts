import { AGENT_NAME_PATTERN } from './agent.js';
import type { InboundMessage, OutboundMessage } from './chat-adapter.js';
import type { Clock } from './clock.js';
import { SkadiError } from './errors.js';
import type { Requester } from './job.js';
import type { JobsApi } from './jobs-api.js';

/**
 * Built-in chat commands are declared, not hand-parsed: help text, argument checks, access
 * checks and name-collision checks are all derived from these specs (as hubot's CommandBus does).
 */

/** One positional argument of a command. */
export interface ArgSpec {
  name: string;
  description: string;
  /** Missing required arguments get a usage reply instead of running the command. */
  required: boolean;
  /** Takes every remaining word (joined by single spaces); only allowed on the last argument. */
  rest?: boolean;
}

/** Arguments by name, as bound from the words the user typed. */
export type CommandArgs = Readonly<Record<string, string | undefined>>;

/** What an access decision is about: an agent, a built-in command (and its permission), or a bare permission. */
export interface AccessTarget {
  agent?: string;
  /**
   * Labels of `agent`, when the caller has the agent at hand. Access rules may grant agents by
   * label selector (`role=web`); such a rule never matches an agent whose labels are not known,
   * so `allows` needs them here, while `decide` looks them up when they are missing.
   */
  labels?: Readonly<Record<string, string>>;
  command?: string;
  /** The command's `permission`, or a stand-alone one such as `jobs:cancel:any`. */
  permission?: string;
}

export interface AccessDecision {
  allowed: boolean;
  /** One sentence for the user: why it is allowed, or what is missing and whom to ask. */
  reason: string;
  /** What no rule granted (null when allowed). */
  missing: { agent?: string; command?: string; permission?: string } | null;
}

/** Access control as commands see it (implemented in src/chat/access-control.ts). */
export interface AccessChecker {
  /** Decides and writes the decision to the audit log (allow and deny). */
  decide(identity: string, target: AccessTarget, context?: Record<string, unknown>): Promise<AccessDecision>;
  /** Decides without auditing: only for filtering what a listing shows, never to act on. */
  allows(identity: string, target: AccessTarget): boolean;
}

export interface CommandContext {
  message: InboundMessage;
  /** The sender as a job requester (identity and display name). */
  requester: Requester;
  jobs: JobsApi;
  access: AccessChecker;
  /** Every registered command, for `help`. */
  commands: readonly CommandSpec[];
  clock: Clock;
}

export interface CommandSpec {
  /** Lower-case word that invokes the command; reserved, so no agent may take it. */
  name: string;
  aliases: readonly string[];
  args: readonly ArgSpec[];
  /** One line for `help`; the usage line is generated from `args`. */
  help: string;
  /**
   * What a rule must grant (besides the command's name) to use it, e.g. `jobs:read`; the
   * access config may list either. Checked by the dispatcher before `run`.
   */
  permission: string;
  run(ctx: CommandContext, args: CommandArgs): Promise<OutboundMessage>;
}

/** Permission that lets `cancel` stop jobs other people started. */
export const CANCEL_ANY_PERMISSION = 'jobs:cancel:any';

/**
 * Words no agent may be named: the built-in commands, their aliases, and a few kept for
 * commands likely to come (so adding one later cannot strand an existing agent). The chat
 * registry checks at start-up that every registered command name and alias is in here.
 */
export const RESERVED_COMMAND_NAMES: ReadonlySet<string> = new Set([
  'help', 'agents', 'status', 'jobs', 'cancel', 'rerun',
  'ps', 'kill', 'retry',
  'agent', 'job', 'logs', 'output', 'watch', 'unwatch', 'whoami', 'version', 'ping', 'approve', 'deny', 'admin', 'skadi',
]);

/**
 * Throws SKADI_AGENT_NAME_INVALID unless `name` is a valid agent name that no built-in
 * command (or `extraReserved`, e.g. a registry's names) uses. Call it before creating an agent.
 */
export function assertAgentNameAllowed(name: string, extraReserved: Iterable<string> = []): void {
  if (!AGENT_NAME_PATTERN.test(name)) {
    throw new SkadiError('SKADI_AGENT_NAME_INVALID', `agent name "${name}" must be 1-63 characters of a-z, 0-9, - and _, starting with a letter or digit`, { name });
  }
  const taken = RESERVED_COMMAND_NAMES.has(name) || [...extraReserved].some((word) => word.toLowerCase() === name);
  if (taken) {
    throw new SkadiError('SKADI_AGENT_NAME_INVALID', `agent name "${name}" is a chat command word; pick another name`, { name });
  }
}

/** `status <job>`, `jobs [agent]`, `agents [selector]`: the usage line generated from the spec. */
export function commandUsage(spec: CommandSpec): string {
  const words = spec.args.map((arg) => {
    const label = arg.rest ? `${arg.name}…` : arg.name;
    return arg.required ? `<${label}>` : `[${label}]`;
  });
  return [spec.name, ...words].join(' ');
}

/**
 * Shell-style wildcard match (`*` any run, `?` one character), used by access rules and the
 * `agents` selector. Iterative with a single back-track point, so it is linear-ish and cannot
 * blow up the way a regular expression built from user input could.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = [...pattern];
  const t = [...text];
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
