import type { UserApi } from './api-client.js';
import type { AgentCache } from './shell-completer.js';
import type { ShellLine } from './shell-line.js';
import type { ShellTarget } from './shell-target.js';
import type { RunWatchOptions } from './watch-command.js';

export type ShellCommandLine = Extract<ShellLine, { kind: 'command' }>;

/** What a shell command works with; one per session, `signal` renewed for every command. */
export interface ShellContext {
  api: UserApi;
  agents: AgentCache;
  server: string;
  token: string;
  /** Set by `use`; the prompt shows it. */
  target: ShellTarget | null;
  /** Aborted by Ctrl-C while the command runs. */
  signal: AbortSignal;
  /** A line of results (stdout). */
  out(line: string): void;
  /** Text as it is (job output), to stdout. */
  write(text: string): void;
  /** A line of errors and notices (stderr). */
  err(line: string): void;
  /** Prints a usage error and answers its exit status. */
  usage(message: string): number;
  /** Ends the session after this command. */
  exit(): void;
  /** Fleet events until the signal aborts (runWatch; tests pass their own). */
  watch(options: RunWatchOptions): Promise<void>;
}

/** One shell command: its words, help text and what it does; answers an exit status. */
export interface ShellCommandSpec {
  name: string;
  aliases?: readonly string[];
  usage: string;
  summary: string;
  /** More for `help <command>`. */
  details?: string;
  run(ctx: ShellContext, line: ShellCommandLine): Promise<number>;
}
