import type { Command } from 'commander';
import { SkadiError } from '../core/errors.js';
import { createLogger } from '../logging.js';
import { createAgentDaemon } from '../agent/agent-daemon.js';
import { loadAgentConfig } from '../agent/agent-config.js';
import { openJobGuard } from '../agent/open-job-guard.js';
import { SKADI_VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';

/**
 * `skadi agent --server URL --token T --config agent.yaml` runs the reference agent; the
 * `agent` command also holds the admin subcommands (add, list, revoke).
 */
export function registerAgentRunCommand(program: Command, setExit: (code: number) => void): Command {
  const agent = program.command('agent').description('run an agent, or manage agents (add, list, revoke, token)');
  agent
    .command('run', { isDefault: true })
    .description('run the agent daemon: long-poll the server, run configured handlers, report')
    .option('--server <url>', 'Skadi server URL (env SKADI_SERVER)')
    .option('--token <token>', 'this agent\'s token (env SKADI_AGENT_TOKEN)')
    .option('--config <file>', 'the agent\'s own config: handlers, labels, concurrency (env SKADI_AGENT_CONFIG)')
    .option('--log-level <level>', 'log level', 'info')
    .option('--drain <seconds>', 'on SIGTERM, let running jobs finish this long before killing them', '30')
    .action(async (opts: { server?: string; token?: string; config?: string; logLevel: string; drain: string }) => {
      const server = opts.server ?? process.env.SKADI_SERVER;
      const token = opts.token ?? process.env.SKADI_AGENT_TOKEN;
      const configPath = opts.config ?? process.env.SKADI_AGENT_CONFIG;
      if (!server) throw new SkadiError('SKADI_CONFIG_INVALID', 'agent: --server URL (or SKADI_SERVER) is required');
      if (!token) throw new SkadiError('SKADI_CONFIG_INVALID', 'agent: --token (or SKADI_AGENT_TOKEN) is required; `skadi agent add NAME` prints one');
      if (!configPath) throw new SkadiError('SKADI_CONFIG_INVALID', 'agent: --config agent.yaml (or SKADI_AGENT_CONFIG) is required: it lists what this agent may run');
      const config = await loadAgentConfig(configPath);
      const { guard, journal } = await openJobGuard(config, configPath);
      const logger = createLogger(opts.logLevel);
      const daemon = createAgentDaemon({ server, token, config, guard, ...(config.name ? { name: config.name } : {}), version: SKADI_VERSION, onUnauthorized: 'exit' }, { logger });
      const drainMs = Math.max(0, Number(opts.drain) * 1000);
      const onSignal = (signal: string) => {
        logger.info({ signal, running: daemon.running() }, 'draining');
        void daemon.stop({ drainMs });
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      await daemon.start();
      try {
        await daemon.done();
      } catch (err) {
        console.error(`agent stopped: ${(err as Error).message}`);
        setExit(EXIT.error);
      } finally {
        await journal.close();
      }
    });
  return agent;
}
