#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { isSkadiError } from '../core/errors.js';
import { SKADI_VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { registerUserCommands } from './user-commands.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerAgentRunCommand } from './agent-run-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerShellCommand } from './shell-command.js';
import { openAdminStores, checkAgentNameAgainstCommands } from './admin-context.js';

let exitCode: number = EXIT.ok;
const setExit = (code: number) => {
  exitCode = code;
};

const program = new Command('skadi')
  .description('Skadi: run jobs on your servers from chat, email, the web or CI')
  .version(SKADI_VERSION)
  .option('-c, --config <file>', 'config file (YAML or JSON; env SKADI_CONFIG)')
  .option('--set <key=value>', 'set any config key, e.g. --set jobs.timeout=5m (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option('--database-url <url>', 'database (sqlite:<file> or mysql://…; env SKADI_DATABASE_URL)')
  .option('--redis-url <url>', 'Redis for several server processes (env SKADI_REDIS_URL)')
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();

registerServeCommand(program, setExit);
const agentCmd = registerAgentRunCommand(program, setExit);
registerAdminCommands(program, agentCmd, { openStores: () => openAdminStores(program.opts()), checkAgentName: checkAgentNameAgainstCommands });
registerUserCommands(program, setExit);
registerKeysCommand(program);
registerShellCommand(program, setExit);

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with code 0; usage errors were already printed.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (isSkadiError(err)) {
    console.error(`error ${err.code}: ${err.message}`);
    process.exitCode = err.code === 'SKADI_UNAVAILABLE' ? EXIT.unavailable : err.code === 'SKADI_CONFIG_INVALID' ? EXIT.usage : EXIT.error;
  } else {
    console.error(`error: ${(err as Error).message ?? String(err)}`);
    process.exitCode = EXIT.error;
  }
}
