import { ARGS_PLACEHOLDER, type AgentConfig, type HandlerConfig } from './agent-config.js';
import type { JobSpec } from './job-runner.js';

/** A job message the agent will run, or the reason it refuses it. */
export type ParsedJob = { ok: true; handler: string; spec: JobSpec } | { ok: false; error: string };

/** The reserved first word for raw shell, honoured only with `allowShell: true`. */
export const SHELL_WORD = 'sh';

// Phones and chat clients turn "…" into “…”; those pair up as double quotes too.
const CLOSING: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\u201c': '\u201d' };

/**
 * Splits a message into words like a POSIX shell would, without expanding anything:
 * whitespace separates words; "double" and 'single' quotes group (adjacent parts join);
 * a backslash escapes the next character outside single quotes. Iterates by code point,
 * so CJK and emoji are ordinary characters.
 */
export function splitWords(text: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  let escaped = false;
  for (const ch of text) {
    if (escaped) {
      word += ch;
      escaped = false;
    } else if (quote !== undefined) {
      if (ch === CLOSING[quote]) quote = undefined;
      else if (ch === '\\' && quote !== "'") escaped = true;
      else word += ch;
    } else if (ch === '\\') {
      escaped = inWord = true;
    } else if (Object.hasOwn(CLOSING, ch)) {
      quote = ch;
      inWord = true;
    } else if (/\s/u.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) return { error: `unterminated ${quote} quote in the message` };
  if (escaped) word += '\\';
  if (inWord) words.push(word);
  return { words };
}

function available(config: AgentConfig): string {
  const names = Object.keys(config.handlers).sort();
  if (config.allowShell) names.push(`${SHELL_WORD} <command>`);
  return names.length > 0 ? names.join(', ') : '(none)';
}

function findHandler(config: AgentConfig, word: string): [string, HandlerConfig] | undefined {
  // Own properties only: a job named `constructor` must not find Object.prototype's.
  if (Object.hasOwn(config.handlers, word)) return [word, config.handlers[word]!];
  // Phones capitalise the first word ("Uptime"); a case-insensitive match is unambiguous enough.
  const lower = word.toLowerCase();
  const match = Object.keys(config.handlers).find((name) => name.toLowerCase() === lower);
  return match === undefined ? undefined : [match, config.handlers[match]!];
}

function shellJob(message: string, config: AgentConfig): ParsedJob {
  const command = message.trimStart().slice(SHELL_WORD.length).trim();
  if (command === '') return { ok: false, error: `${SHELL_WORD} needs a command, e.g. "${SHELL_WORD} ls -l /tmp"` };
  return {
    ok: true,
    handler: SHELL_WORD,
    spec: { argv: ['/bin/sh', '-c', command], timeoutMs: config.defaults.timeoutMs, outputCap: config.defaults.outputCap },
  };
}

/**
 * Turns a job message into what to run, using only the agent's own config: the first word
 * names the handler, the rest become arguments where the handler has `{args}`. Refuses
 * (never throws) unknown handlers, disallowed arguments and arguments to handlers that take none.
 */
export function parseJobMessage(message: string, config: AgentConfig): ParsedJob {
  const firstWord = /^\s*(\S+)/u.exec(message)?.[1];
  if (config.allowShell && firstWord === SHELL_WORD) return shellJob(message, config);

  const split = splitWords(message);
  if ('error' in split) return { ok: false, error: split.error };
  const [name, ...args] = split.words;
  if (name === undefined) return { ok: false, error: `empty command; this agent runs: ${available(config)}` };

  const found = findHandler(config, name);
  if (!found) {
    const hint = name === SHELL_WORD ? ' (raw shell is disabled on this agent)' : '';
    return { ok: false, error: `unknown command ${JSON.stringify(name)}${hint}; this agent runs: ${available(config)}` };
  }
  const [handlerName, handler] = found;

  const hasArgs = handler.argv.includes(ARGS_PLACEHOLDER);
  if (!hasArgs && args.length > 0) return { ok: false, error: `${handlerName} takes no arguments, got ${args.length}` };
  for (const arg of args) {
    if (arg.includes('\0')) return { ok: false, error: `${handlerName}: arguments may not contain NUL characters` };
    if (handler.allowArgs && !handler.allowArgs.test(arg)) {
      return { ok: false, error: `${handlerName}: argument ${JSON.stringify(arg)} is not allowed (must match ${handler.allowArgs.source})` };
    }
  }

  const argv = handler.argv.flatMap((element) => (element === ARGS_PLACEHOLDER ? args : [element]));
  return {
    ok: true,
    handler: handlerName,
    spec: {
      argv,
      ...(handler.cwd === undefined ? {} : { cwd: handler.cwd }),
      env: handler.env,
      timeoutMs: handler.timeoutMs,
      outputCap: handler.outputCap,
    },
  };
}
