import { AGENT_NAME_PATTERN, CANCEL_ANY_PERMISSION, ConfigError, RESERVED_COMMAND_NAMES, commandUsage } from '../core/index.js';
import type { AccessTarget, CommandArgs, CommandSpec } from '../core/index.js';

export type BindResult = { ok: true; args: CommandArgs } | { ok: false; message: string };

export interface CommandRegistry {
  readonly commands: readonly CommandSpec[];
  /** The command a (normalised, lower-case) word names, by name or alias. */
  resolve(word: string): CommandSpec | undefined;
  isCommand(word: string): boolean;
  /** Every command name and alias. */
  words(): ReadonlySet<string>;
  /** What an access rule's `commands` may list: names, permissions and stand-alone permissions. */
  accessVocabulary(): string[];
  /** The access target of a command word (`{command, permission}`), for callers outside chat such as the user API. */
  accessTarget(word: string): AccessTarget | undefined;
  /** Binds the words typed after the command to its declared arguments, or explains the usage. */
  bind(spec: CommandSpec, words: readonly string[]): BindResult;
}

const WORD = /^[a-z?][a-z0-9_?-]*$/;

function checkSpec(spec: CommandSpec, owner: Map<string, string>): void {
  for (const word of [spec.name, ...spec.aliases]) {
    if (!WORD.test(word)) throw new ConfigError(`commands.${spec.name}`, `"${word}" is not a lower-case command word`);
    const taken = owner.get(word);
    if (taken !== undefined) throw new ConfigError(`commands.${spec.name}`, `"${word}" is already used by the ${taken} command`);
    // A word an agent could be named must be reserved, or agent creation would not refuse it.
    if (AGENT_NAME_PATTERN.test(word) && !RESERVED_COMMAND_NAMES.has(word)) {
      throw new ConfigError(`commands.${spec.name}`, `"${word}" is not in RESERVED_COMMAND_NAMES (src/core/command.ts); add it so no agent can take it`);
    }
    owner.set(word, spec.name);
  }
  spec.args.forEach((arg, i) => {
    if (arg.rest && i !== spec.args.length - 1) throw new ConfigError(`commands.${spec.name}.args.${arg.name}`, 'only the last argument may take the rest of the words');
    if (arg.required && i > 0 && !spec.args[i - 1]!.required) throw new ConfigError(`commands.${spec.name}.args.${arg.name}`, 'a required argument cannot follow an optional one');
  });
}

/**
 * Indexes the command specs by name and alias. Throws ConfigError at start-up when two commands
 * claim one word, or a word is not reserved against agent names.
 */
export function createCommandRegistry(commands: readonly CommandSpec[]): CommandRegistry {
  const owner = new Map<string, string>();
  for (const spec of commands) checkSpec(spec, owner);
  const byWord = new Map<string, CommandSpec>();
  for (const spec of commands) for (const word of [spec.name, ...spec.aliases]) byWord.set(word, spec);
  const words = new Set(byWord.keys());

  return {
    commands,
    resolve: (word) => byWord.get(word),
    isCommand: (word) => byWord.has(word),
    words: () => words,
    accessTarget(word) {
      const spec = byWord.get(word);
      return spec ? { command: spec.name, permission: spec.permission } : undefined;
    },
    accessVocabulary: () => [...new Set([...commands.flatMap((spec) => [spec.name, spec.permission]), CANCEL_ANY_PERMISSION])],
    bind(spec, typed) {
      const args: Record<string, string | undefined> = {};
      let i = 0;
      for (const arg of spec.args) {
        if (arg.rest) {
          args[arg.name] = i < typed.length ? typed.slice(i).join(' ') : undefined;
          i = typed.length;
        } else {
          args[arg.name] = typed[i];
          i++;
        }
        if (arg.required && args[arg.name] === undefined) {
          return { ok: false, message: `${spec.name} needs ${arg.name} (${arg.description}). Usage: ${commandUsage(spec)}` };
        }
      }
      if (typed.length > spec.args.length && !spec.args.some((arg) => arg.rest)) {
        return { ok: false, message: `${spec.name} takes ${spec.args.length === 0 ? 'no arguments' : `at most ${spec.args.length}`}; put quotes around words that belong together. Usage: ${commandUsage(spec)}` };
      }
      return { ok: true, args };
    },
  };
}
