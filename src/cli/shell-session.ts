import { createInterface, type Interface } from 'node:readline';
import { isSkadiError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';
import type { UserApi } from './api-client.js';
import { createAgentCache, createShellCompleter } from './shell-completer.js';
import { SHELL_COMMAND_WORDS, findShellCommand } from './shell-commands.js';
import type { ShellContext } from './shell-context.js';
import { HISTORY_SIZE, openShellHistory, type ShellHistory } from './shell-history.js';
import { parseShellLine } from './shell-line.js';
import { promptFor } from './shell-target.js';
import { runWatch, type RunWatchOptions } from './watch-command.js';

export interface ShellSessionOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
  /** A person at a terminal: prompt, line editing, TAB completion, history. Otherwise lines are read as a script. */
  terminal: boolean;
  api: UserApi;
  server: string;
  token: string;
  /** Where history is kept (interactive sessions only); null for none. */
  historyFile: string | null;
  historySize?: number;
  /** `--use`: the target to start with. */
  initialTarget?: string;
  /** How long completion trusts its agents list (default 5 s). */
  completionTtlMs?: number;
  /** Ctrl-C from a signal (piped input, `kill -INT`); tests turn it off. Default true. */
  processSignals?: boolean;
  watch?: (options: RunWatchOptions) => Promise<void>;
}

function errorLine(err: unknown): { line: string; code: number } {
  if (isSkadiError(err)) return { line: `error ${err.code}: ${err.message}`, code: err.code === 'SKADI_UNAVAILABLE' ? EXIT.unavailable : err.code === 'SKADI_BAD_REQUEST' ? EXIT.usage : EXIT.error };
  return { line: `error: ${(err as Error)?.message ?? String(err)}`, code: EXIT.error };
}

/** Runs one line in the session's context and answers its exit status; errors are printed, never thrown. */
export async function runShellLine(ctx: ShellContext, text: string, controller: AbortController): Promise<number> {
  const parsed = parseShellLine(text);
  if (parsed.kind === 'empty') return EXIT.ok;
  if (parsed.kind === 'error') return ctx.usage(parsed.message);
  const spec = findShellCommand(parsed.name);
  if (!spec) return ctx.usage(`unknown command ${JSON.stringify(parsed.name)}; \`help\` lists the commands`);
  ctx.signal = controller.signal;
  try {
    return await spec.run(ctx, parsed);
  } catch (e) {
    if (controller.signal.aborted) {
      ctx.err('interrupted');
      return EXIT.error;
    }
    const { line, code } = errorLine(e);
    ctx.err(line);
    return code;
  }
}

function createShellReadline(options: ShellSessionOptions, completer: ReturnType<typeof createShellCompleter>, history: ShellHistory | null): Interface {
  return createInterface({
    input: options.input,
    // A script gets no prompt and no echo: only the commands' own output.
    output: options.terminal ? options.output : undefined,
    terminal: options.terminal,
    completer: options.terminal ? completer.readline : undefined,
    history: history?.lines ?? [],
    historySize: options.historySize ?? HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
}

/**
 * `skadi shell`: reads commands line by line and runs them one after the other against the user
 * API, keeping the target set by `use`. Answers the exit status: 0 for an interactive session;
 * for a script, that of the last command that failed (0 when none did).
 */
export function runShellSession(options: ShellSessionOptions): Promise<number> {
  const { terminal } = options;
  const writeTo = (stream: NodeJS.WritableStream) => (line: string) => void stream.write(`${line}\n`);
  const out = writeTo(options.output);
  const err = writeTo(options.errorOutput);
  const agents = createAgentCache((signal) => options.api.listAgents(undefined, signal), { ttlMs: options.completionTtlMs ?? 5_000 });
  const completer = createShellCompleter({ commands: SHELL_COMMAND_WORDS, agents });
  const history: ShellHistory | null = terminal && options.historyFile ? openShellHistory({ file: options.historyFile, size: options.historySize ?? HISTORY_SIZE, secrets: [options.token], warn: err }) : null;

  const rl = createShellReadline(options, completer, history);

  let current: AbortController | null = null;
  /** `exit`, or a script interrupted: the lines still queued are skipped. */
  let leaving = false;
  /** The input ended (Ctrl-D, end of a script): no more prompts. */
  let closed = false;
  let failed: number = EXIT.ok;
  const ctx: ShellContext = {
    api: options.api,
    agents,
    server: options.server,
    token: options.token,
    target: null,
    signal: new AbortController().signal,
    out,
    err,
    write: (text) => void options.output.write(text),
    usage(message) {
      err(`error: ${message}`);
      return EXIT.usage;
    },
    exit() {
      leaving = true;
    },
    watch: options.watch ?? runWatch,
  };

  const prompt = () => {
    if (!terminal || leaving || closed) return;
    rl.setPrompt(promptFor(ctx.target));
    rl.prompt();
  };

  async function handle(text: string, record = true): Promise<void> {
    if (leaving) return;
    if (record) history?.add(text);
    current = new AbortController();
    const code = await runShellLine(ctx, text, current).finally(() => {
      current = null;
    });
    if (code !== EXIT.ok) failed = code;
    if (leaving) rl.close();
    else prompt();
  }

  // Ctrl-C: stops the running command and comes back to the prompt; at the prompt it drops the line.
  rl.on('SIGINT', () => {
    if (current) return current.abort();
    const typed = rl.line !== '';
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    options.output.write('^C\n');
    if (!typed) err('(to leave, type exit or press Ctrl-D)');
    prompt();
  });
  const onProcessSignal = () => {
    if (current) return current.abort();
    // A script interrupted between commands ends, as it would in any shell.
    failed = 130;
    leaving = true;
    rl.close();
  };
  if (options.processSignals !== false) process.on('SIGINT', onProcessSignal);

  return new Promise((resolve) => {
    let queue: Promise<void> = Promise.resolve();
    rl.on('line', (text) => {
      queue = queue.then(() => handle(text));
    });
    rl.on('close', () => {
      // Ctrl-D at the prompt: end the prompt's line. Lines read before the end of a script still run.
      if (terminal && !leaving) options.output.write('\n');
      closed = true;
      void queue.then(() => {
        history?.close();
        if (options.processSignals !== false) process.off('SIGINT', onProcessSignal);
        resolve(terminal && failed !== 130 ? EXIT.ok : failed);
      });
    });
    // `--use X` runs as a typed `use X` (its errors print the same way), but stays out of the history.
    if (options.initialTarget !== undefined) queue = queue.then(() => handle(`use ${options.initialTarget}`, false));
    else prompt();
  });
}
