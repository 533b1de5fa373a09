import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** How many lines the history file keeps (the newest). */
export const HISTORY_SIZE = 1000;

/** `SKADI_HISTORY_FILE` when set (empty: no history), else `~/.skadi_history`. */
export function historyFilePath(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string | null {
  const fromEnv = env.SKADI_HISTORY_FILE;
  if (fromEnv !== undefined) return fromEnv === '' ? null : fromEnv;
  return join(home(), '.skadi_history');
}

const TOKEN_PATTERN = /skadi_(usr|agt)_\S+/;

/**
 * Lines never written to the history file: anything holding a token (the session's own, or one
 * pasted by mistake), and lines typed with a leading space (as in bash's ignorespace).
 */
export function isPrivateLine(line: string, secrets: readonly string[]): boolean {
  if (/^\s/.test(line)) return true;
  if (TOKEN_PATTERN.test(line)) return true;
  return secrets.some((s) => s.length >= 4 && line.includes(s));
}

export interface ShellHistory {
  /** Loaded lines, newest first (node:readline's `history` option). */
  readonly lines: string[];
  /** Records an entered line (appended to the file at once, so a crash loses nothing). */
  add(line: string): void;
  /** Trims the file to the newest `size` lines. */
  close(): void;
}

/**
 * The history file of `skadi shell`: one line per entry, oldest first, mode 0600, at most `size`
 * lines. A file that cannot be read or written only costs the history, never the session.
 */
export function openShellHistory(options: { file: string; size?: number; secrets?: readonly string[]; warn?: (line: string) => void }): ShellHistory {
  const size = options.size ?? HISTORY_SIZE;
  const secrets = options.secrets ?? [];
  let entries: string[] = [];
  try {
    entries = readFileSync(options.file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !isPrivateLine(l, secrets)).slice(-size);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.warn?.(`history not loaded from ${options.file}: ${(err as Error).message}`);
  }
  let broken = false;
  const fail = (err: unknown) => {
    if (!broken) options.warn?.(`history not saved to ${options.file}: ${(err as Error).message}`);
    broken = true;
  };
  return {
    lines: [...entries].reverse(),
    add(line) {
      if (line.trim() === '' || line.includes('\n') || isPrivateLine(line, secrets) || entries[entries.length - 1] === line) return;
      entries.push(line);
      if (broken) return;
      try {
        appendFileSync(options.file, `${line}\n`, { mode: 0o600 });
      } catch (err) {
        fail(err);
      }
    },
    close() {
      if (broken) return;
      try {
        // Re-read: another shell may have appended meanwhile; only trim, never drop its lines.
        const all = readFileSync(options.file, 'utf8').split('\n').filter((l) => l !== '');
        if (all.length > size) writeFileSync(options.file, `${all.slice(-size).join('\n')}\n`, { mode: 0o600 });
        chmodSync(options.file, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fail(err);
      }
    },
  };
}
