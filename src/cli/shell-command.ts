import type { Command } from 'commander';
import { SkadiError } from '../core/errors.js';
import { createApiClient, createUserApi } from './api-client.js';
import { historyFilePath } from './shell-history.js';
import { runShellSession } from './shell-session.js';
import { userTarget } from './user-commands.js';

/**
 * `skadi shell`: an interactive prompt over the user API where a target set once with `use`
 * applies to the following commands. Piped input runs as a script (one command per line).
 */
export function registerShellCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('shell')
    .description('interactive prompt: `use role=web`, then list, send, jobs, watch for that target (TAB completes; history in ~/.skadi_history)')
    .option('--server <url>', 'server URL (env SKADI_SERVER, default http://127.0.0.1:8080)')
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--use <target>', 'start with this target (an agent name or a selector)')
    .action(async (opts: { server?: string; token?: string; use?: string }) => {
      const { server, token } = userTarget(opts);
      if (!token) throw new SkadiError('SKADI_UNAUTHENTICATED', 'no API token: pass --token or set SKADI_TOKEN (create one with `skadi token create NAME`)');
      const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      if (terminal) process.stderr.write(`skadi shell on ${server}: \`help\` lists the commands, TAB completes, Ctrl-D leaves\n`);
      const code = await runShellSession({
        input: process.stdin,
        output: process.stdout,
        errorOutput: process.stderr,
        terminal,
        api: createUserApi(createApiClient({ server, token })),
        server,
        token,
        historyFile: historyFilePath(),
        initialTarget: opts.use,
      });
      setExit(code);
    });
}
