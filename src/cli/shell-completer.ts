import { JOB_STATES } from '../core/job.js';
import type { AgentJson } from './api-client.js';

/** The agents list, fetched at most once per `ttlMs` and shared by completion and `use`. */
export interface AgentCache {
  /** Fresh enough agents; rejects when the server cannot be asked and nothing was cached yet. */
  get(): Promise<AgentJson[]>;
  /** Forget what was fetched (after `use`, so a new agent shows up at once). */
  invalidate(): void;
}

export function createAgentCache(load: (signal: AbortSignal) => Promise<AgentJson[]>, options: { ttlMs?: number; timeoutMs?: number; now?: () => number } = {}): AgentCache {
  const ttlMs = options.ttlMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const now = options.now ?? Date.now;
  let cached: { agents: AgentJson[]; at: number } | null = null;
  let inflight: Promise<AgentJson[]> | null = null;
  return {
    get() {
      if (cached && now() - cached.at < ttlMs) return Promise.resolve(cached.agents);
      // One request at a time: a user pressing TAB repeatedly does not queue up fetches.
      inflight ??= load(AbortSignal.timeout(timeoutMs))
        .then((agents) => {
          cached = { agents, at: now() };
          return agents;
        })
        .catch((err: unknown) => {
          // A server that went away: keep offering what was known, rather than nothing.
          if (cached) return cached.agents;
          throw err;
        })
        .finally(() => {
          inflight = null;
        });
      return inflight;
    },
    invalidate() {
      cached = null;
    },
  };
}

/** Commands whose argument is a selector or an agent name. */
const SELECTOR_COMMANDS = new Set(['use', 'list', 'agents']);

export interface ShellCompleterOptions {
  /** Command names offered for the first word. */
  commands: readonly string[];
  agents: AgentCache;
}

/** `[candidates, the part of the line they replace]`, as node:readline wants it. */
export type Completion = [string[], string];

const unique = (items: Iterable<string>) => [...new Set(items)].sort();

/**
 * Candidates for the selector term being typed (the text after the last comma): agent names,
 * label keys offered as `key=`, the values of a key after `key=` / `key!=`, and `!key`.
 */
export function completeSelectorTerm(term: string, agents: readonly AgentJson[]): string[] {
  const labelKeys = unique(agents.flatMap((a) => Object.keys(a.labels)));
  if (term.startsWith('!') && !term.startsWith('!=')) {
    return labelKeys.filter((k) => k.startsWith(term.slice(1))).map((k) => `!${k}`);
  }
  const op = /^([^=!]*?)\s*(!=|==|=)\s*(.*)$/s.exec(term);
  if (op) {
    const [, key, operator, partial] = op as unknown as [string, string, string, string];
    const values = unique(agents.flatMap((a) => (Object.hasOwn(a.labels, key) ? [a.labels[key]!] : [])));
    return values.filter((v) => v.startsWith(partial)).map((v) => `${key}${operator}${v}`);
  }
  return unique([...agents.map((a) => a.name).filter((n) => n.startsWith(term)), ...labelKeys.filter((k) => k.startsWith(term)).map((k) => `${k}=`)]);
}

/**
 * TAB completion for `skadi shell` (node:readline's completer): command names for the first
 * word; after `use`, `list` and `agents` the selector term being typed (agent names, label keys,
 * `key=value`); after `help` a command; after `jobs` a `state=` filter. Asking the server may
 * fail (it is down, the token was revoked): completion then offers what it knows, never throws.
 */
export function createShellCompleter(options: ShellCompleterOptions) {
  async function complete(line: string): Promise<Completion> {
    const firstSpace = line.search(/\s/);
    if (firstSpace < 0) return [options.commands.filter((c) => c.startsWith(line.toLowerCase())), line];
    const command = line.slice(0, firstSpace).toLowerCase();
    const after = line.slice(firstSpace).replace(/^\s+/, '');
    if (command === 'help') return [options.commands.filter((c) => c.startsWith(after)), after];
    if (command === 'jobs') {
      const word = after.split(/\s+/).pop() ?? '';
      const filters = [...JOB_STATES.map((s) => `state=${s}`), 'limit='];
      return [filters.filter((f) => f.startsWith(word)), word];
    }
    if (!SELECTOR_COMMANDS.has(command)) return [[], line];
    // The term being typed: after the last comma (terms are and-ed with commas), spaces dropped.
    const term = after.slice(after.lastIndexOf(',') + 1).replace(/^\s+/, '');
    let agents: AgentJson[];
    try {
      agents = await options.agents.get();
    } catch {
      return [[], term];
    }
    return [completeSelectorTerm(term, agents), term];
  }

  return {
    complete,
    /** The callback form node:readline calls; errors become "no candidates". */
    readline(line: string, callback: (err: null, result: Completion) => void): void {
      complete(line).then(
        (result) => callback(null, result),
        () => callback(null, [[], line]),
      );
    },
  };
}
