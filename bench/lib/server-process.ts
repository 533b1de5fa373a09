import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkIpcChild, type IpcChild } from './ipc-child.js';
import type { FromServer, ToServer } from './server-protocol.js';
import type { PreparedStack } from './stacks.js';

const SCRIPT = fileURLToPath(new URL('../server/server-process.js', import.meta.url));

export type ServerProcess = IpcChild<ToServer, FromServer> & {
  url: string;
  userToken: string;
  /** With BENCH_PROFILE_DIR set: profiles the server process while `during` runs, into <dir>/<name>.cpuprofile. */
  profiled<T>(name: string, during: () => Promise<T>): Promise<T>;
  /** With BENCH_PROFILE_DIR and BENCH_HEAP_SNAPSHOT set: a heap snapshot of the server process into <dir>/<name>.heapsnapshot (slow and large at 10,000 agents). */
  heapSnapshot(name: string): Promise<void>;
};

/**
 * Starts the server under test in a process of its own on `stack` (which the runner prepared and
 * disposes of). `BENCH_SERVER_EXEC_ARGV` passes node flags to it; `BENCH_PROFILE_DIR=/tmp/prof` makes the
 * scenarios write CPU profiles of its phases (see `profiled`).
 */
export async function startServerProcess(stack: PreparedStack, options: { logLevel: string; flags?: Record<string, unknown>; watchAgentStatus?: boolean }): Promise<ServerProcess> {
  const child = forkIpcChild<ToServer, FromServer>(SCRIPT, 'server process', { execArgvEnv: 'BENCH_SERVER_EXEC_ARGV', graceMs: 20_000, execArgv: ['--expose-gc'] });
  try {
    const started = await child.request(
      { type: 'start', stack: { databaseUrl: stack.databaseUrl, redisUrl: stack.redisUrl, keyPrefix: stack.keyPrefix, dataDir: stack.dataDir }, logLevel: options.logLevel, flags: options.flags ?? {}, watchAgentStatus: options.watchAgentStatus ?? false },
      'started',
      60_000,
    );
    const dir = process.env.BENCH_PROFILE_DIR;
    return {
      ...child,
      url: started.url,
      userToken: started.userToken,
      async profiled(name, during) {
        if (!dir) return during();
        await child.request({ type: 'profile-start' }, 'ok');
        try {
          return await during();
        } finally {
          const file = join(dir, `${name}-${child.pid}.cpuprofile`);
          mkdirSync(dir, { recursive: true });
          await child.request({ type: 'profile-stop', file }, 'ok', 60_000).catch(() => undefined);
          process.stderr.write(`server profile: ${file}\n`);
        }
      },
      async heapSnapshot(name) {
        if (!dir || !process.env.BENCH_HEAP_SNAPSHOT) return;
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${name}-${child.pid}.heapsnapshot`);
        await child.request({ type: 'heap-snapshot', file }, 'ok', 300_000);
        process.stderr.write(`server heap snapshot: ${file}\n`);
      },
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}
