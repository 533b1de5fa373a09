import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';

/**
 * The agent's record of the job ids it has started, so a job handed out again (a replayed
 * assignment, a row copied back to `queuing` in the database) is refused instead of run twice.
 * An entry is needed only until the job's signed expiry (plus clock-skew grace): after that the
 * expiry check refuses the job anyway. That keeps the journal bounded by the job rate times the
 * job timeout; `maxEntries` caps it besides (the entries closest to expiry go first).
 */
export interface JobJournal {
  has(jobId: string): boolean;
  /** Records a job before it starts; resolves once the entry is on disk. */
  record(jobId: string, expiresAtMs: number): Promise<void>;
  size(): number;
  close(): Promise<void>;
}

export interface JobJournalOptions {
  /** Keep entries this long past their job's expiry (the agent's clock-skew grace). Default 5 min. */
  retainMs?: number;
  /** Most entries kept (default 100 000). */
  maxEntries?: number;
  now?: () => number;
}

const LINE = /^([A-Za-z0-9_-]{1,64}) (\d{1,16})$/;

/** A journal held only in memory: for tests and for callers that persist nothing. */
export function memoryJobJournal(options: JobJournalOptions = {}): JobJournal {
  const entries = new Map<string, number>();
  const keep = keeper(entries, options);
  return {
    has: (id) => entries.has(id),
    async record(id, expiresAtMs) {
      entries.set(id, expiresAtMs);
      keep();
    },
    size: () => entries.size,
    async close() {},
  };
}

function keeper(entries: Map<string, number>, options: JobJournalOptions): () => void {
  const retainMs = options.retainMs ?? 5 * 60_000;
  const max = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  return () => {
    if (entries.size <= max) return;
    const cutoff = now() - retainMs;
    for (const [id, exp] of entries) if (exp < cutoff) entries.delete(id);
    if (entries.size <= max) return;
    const byExpiry = [...entries].sort((a, b) => a[1] - b[1]);
    for (const [id] of byExpiry.slice(0, entries.size - max)) entries.delete(id);
  };
}

/**
 * Opens (or creates) the journal file at `path`: one `<jobId> <expiresAtMs>` line per job,
 * appended and flushed to disk before the job starts. Opening drops the entries past their
 * retention and rewrites the file compacted (mode 0600).
 */
export async function openJobJournal(path: string, options: JobJournalOptions = {}): Promise<JobJournal> {
  const retainMs = options.retainMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const cutoff = now() - retainMs;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (m && Number(m[2]) >= cutoff) entries.set(m[1]!, Number(m[2]));
  }
  const keep = keeper(entries, options);
  keep();

  const compact = async (): Promise<FileHandle> => {
    const tmp = `${path}.tmp`;
    await writeFile(tmp, [...entries].map(([id, exp]) => `${id} ${exp}\n`).join(''), { mode: 0o600 });
    await rename(tmp, path);
    return open(path, 'a', 0o600);
  };
  let handle = await compact();
  let appended = 0;
  /** Writes one after another, so a compaction never races an append. */
  let chain: Promise<unknown> = Promise.resolve();

  return {
    has: (id) => entries.has(id),
    record(id, expiresAtMs) {
      if (!LINE.test(`${id} ${Math.max(0, Math.trunc(expiresAtMs))}`)) return Promise.reject(new Error(`job id ${JSON.stringify(id.slice(0, 80))} cannot be journaled`));
      entries.set(id, expiresAtMs);
      keep();
      const write = chain.then(async () => {
        await handle.write(`${id} ${Math.max(0, Math.trunc(expiresAtMs))}\n`);
        await handle.datasync();
        if (++appended > Math.max(1000, 2 * entries.size)) {
          await handle.close();
          handle = await compact();
          appended = 0;
        }
      });
      chain = write.catch(() => undefined);
      return write;
    },
    size: () => entries.size,
    async close() {
      await chain;
      await handle.close();
    },
  };
}
