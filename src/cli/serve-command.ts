import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logging.js';
import { startServer } from '../main.js';
import { CONFIG_VALIDATORS } from '../config-validators.js';
import { flagsToConfig, type GlobalFlags } from './config-flags.js';
import { EXIT } from './exit-codes.js';

/** `skadi serve`: the server, on embedded defaults unless configured otherwise. */
export function registerServeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('run the Skadi server (HTTP API, web chat, chat adapters, timers; the embedded demo agent by default)')
    .option('-c, --config <file>', 'config file (YAML or JSON; env SKADI_CONFIG)')
    .option('-p, --port <port>', 'HTTP port (env SKADI_PORT, default 8080)')
    .option('--host <host>', 'listen address (env SKADI_HOST, default 127.0.0.1)')
    .action(async (opts: { config?: string; port?: string; host?: string }) => {
      const flags: GlobalFlags = { ...(program.opts() as GlobalFlags), ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
      const config = loadConfig({ file: flags.config ?? null, flags: flagsToConfig(flags), validate: CONFIG_VALIDATORS });
      const logger = createLogger(config.log.level);
      const server = await startServer(config, { logger });
      // The generated web token is shown to a person at a terminal, never written into a log
      // (systemd, docker and CI capture stderr).
      console.error(`\nSkadi is running at ${server.url}\n${server.chat.banner(server.url, { revealToken: process.stderr.isTTY === true })}`);
      await new Promise<void>((resolve) => {
        let closing = false;
        const shutdown = (signal: string) => {
          if (closing) return;
          closing = true;
          logger.info({ signal }, 'shutting down');
          server.close().then(resolve, (err) => {
            logger.error({ err }, 'shutdown failed');
            setExit(EXIT.error);
            resolve();
          });
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}
