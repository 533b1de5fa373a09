import { basename, dirname, extname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { AgentConfig } from './agent-config.js';
import { createJobGuard, trustProblem, type JobGuard } from './job-guard.js';
import { openJobJournal, type JobJournal } from './job-journal.js';

/** Where the journal of a config file lives: `journal:` (relative to the file), else `<file>.journal` beside it. */
export function journalPath(config: Pick<AgentConfig, 'journal'>, configPath: string): string {
  const dir = dirname(resolve(configPath));
  if (config.journal) return resolve(dir, config.journal);
  return join(dir, `${basename(configPath, extname(configPath))}.journal`);
}

/**
 * The guard of `skadi agent`: trust settings from the config file, the journal on disk. Throws
 * ConfigError (at start, naming the key) when the trust settings are missing or the journal
 * cannot be written.
 */
export async function openJobGuard(config: AgentConfig, configPath: string): Promise<{ guard: JobGuard; journal: JobJournal; path: string }> {
  const problem = trustProblem(config);
  if (problem) throw problem;
  const path = journalPath(config, configPath);
  let journal: JobJournal;
  try {
    journal = await openJobJournal(path);
  } catch (err) {
    throw new ConfigError('journal', `cannot write the job journal ${path} (${(err as Error).message}); set \`journal:\` to a file the agent may write, e.g. /var/lib/skadi-agent/jobs.journal`);
  }
  const guard = createJobGuard({ name: config.name, serverPublicKeys: config.serverPublicKeys, allowUnsignedJobs: config.allowUnsignedJobs }, { journal });
  return { guard, journal, path };
}
