import type { Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import type { Stores } from './core/stores.js';
import type { TokenService } from './auth/token-service.js';
import { createAgentDaemon, type AgentDaemon } from './agent/agent-daemon.js';
import { DEMO_AGENT_CONFIG } from './agent/agent-config.js';
import { createJobGuard } from './agent/job-guard.js';
import { memoryJobJournal, openJobJournal, type JobJournal } from './agent/job-journal.js';

export interface EmbeddedAgent {
  name: string;
  daemon: AgentDaemon;
  stop(): Promise<void>;
}

/**
 * The demo agent running inside the server process ("a thread embedded in your service"). It
 * speaks the same HTTP API as any agent, with a token made at start and held only in memory;
 * the previous token of this server process is revoked first so tokens do not pile up. It
 * verifies jobs like any agent, against the server's own public key, with its journal in the
 * data directory.
 */
export async function startEmbeddedAgent(
  options: { name: string; server: string; nodeId: string; version: string; serverPublicKey: string; journalPath: string | null },
  deps: { stores: Stores; tokens: TokenService; clock: Clock; logger: Logger; checkAgentName: (name: string) => void },
): Promise<EmbeddedAgent> {
  const { stores, tokens, clock } = deps;
  deps.checkAgentName(options.name);
  if (!(await stores.agents.get(options.name))) {
    try {
      await stores.agents.create({ name: options.name, labels: { embedded: 'true' }, createdAt: clock.now() });
    } catch (err) {
      // Another server process created it at the same moment.
      if ((err as { code?: string }).code !== 'SKADI_AGENT_EXISTS') throw err;
    }
  }
  const tokenName = `embedded@${options.nodeId}`;
  for (const t of await stores.tokens.list('agent')) {
    if (t.subject === options.name && t.name === tokenName && !t.revokedAt) await stores.tokens.revoke(t.id, clock.now());
  }
  const { token } = await tokens.create('agent', options.name, tokenName);
  let journal: JobJournal;
  try {
    journal = options.journalPath ? await openJobJournal(options.journalPath) : memoryJobJournal();
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, path: options.journalPath }, 'embedded agent: job journal not writable; keeping it in memory (replays are refused until a restart)');
    journal = memoryJobJournal();
  }
  const guard = createJobGuard({ name: options.name, serverPublicKeys: [options.serverPublicKey], allowUnsignedJobs: false }, { journal });
  const daemon = createAgentDaemon({ server: options.server, token, config: DEMO_AGENT_CONFIG, guard, name: options.name, version: options.version, onUnauthorized: 'retry', authRetryMs: 5000 }, { logger: deps.logger });
  await daemon.start();
  return {
    name: options.name,
    daemon,
    stop: async () => {
      await daemon.stop({ drainMs: 5000 });
      await journal.close();
    },
  };
}
