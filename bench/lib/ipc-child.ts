import { fork, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup.js';

/** A forked bench process spoken to by request and answer over IPC (see load-process.ts, the original of this pattern). */
export interface IpcChild<To extends { type: string }, From extends { type: string }> {
  pid: number;
  /** Sends a message and waits for the first answer of type `expect` (a `failed` answer rejects). */
  request<T extends From['type']>(msg: To, expect: T, timeoutMs?: number): Promise<Extract<From, { type: T }>>;
  /** Sends `stop`; kills the process if it does not exit within `graceMs`. */
  stop(): Promise<void>;
}

/**
 * Forks `script` with an IPC channel. It gets no inherited node flags (a --cpu-prof given to the
 * runner profiles the runner), unless the environment variable `execArgvEnv` lists some.
 */
export function forkIpcChild<To extends { type: string }, From extends { type: string }>(script: string, what: string, options: { execArgvEnv?: string; graceMs?: number; args?: string[]; execArgv?: string[] } = {}): IpcChild<To, From> {
  const raw = options.execArgvEnv ? process.env[options.execArgvEnv] : undefined;
  const execArgv = [...(options.execArgv ?? []), ...(raw ? raw.split(' ').filter(Boolean) : [])];
  const child: ChildProcess = fork(script, options.args ?? [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const listeners = new Set<(msg: From) => void>();
  child.on('message', (msg: From) => {
    for (const l of [...listeners]) l(msg);
  });

  const kill = async (): Promise<void> => {
    if (exited) return;
    if (child.connected) child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 10_000);
    await exit;
    clearTimeout(timer);
  };
  const forget = onCleanup(`stop ${what} ${child.pid}`, kill);

  return {
    pid: child.pid!,
    request(msg, expect, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`${what}: no ${expect} within ${timeoutMs} ms`)), timeoutMs);
        const onExit = () => done(new Error(`${what} exited while waiting for ${expect}`));
        const listener = (m: From) => {
          if (m.type === expect) done(null, m);
          else if (m.type === 'failed') done(new Error(`${what} failed: ${(m as unknown as { message: string }).message}`));
        };
        function done(err: Error | null, m?: From) {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
          if (err) reject(err);
          else resolve(m as Extract<From, { type: typeof expect }>);
        }
        listeners.add(listener);
        child.once('exit', onExit);
        if (exited) return onExit();
        child.send(msg);
      });
    },
    stop: forget,
  };
}
