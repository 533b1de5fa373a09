import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monoMs } from './clock.js';
import { onCleanup } from './cleanup.js';
import { summarize } from './stats.js';
import type { FromLoad, ToLoad } from './protocol.js';

const SCRIPT = fileURLToPath(new URL('../load/load-process.js', import.meta.url));

export interface LoadProcess {
  pid: number;
  /** Sends a message and waits for the first answer of type `expect` (a `failed` answer rejects). */
  request<T extends FromLoad['type']>(msg: ToLoad, expect: T, timeoutMs?: number): Promise<Extract<FromLoad, { type: T }>>;
  /** Asks it to stop; kills it if it does not exit within a few seconds. */
  stop(): Promise<void>;
}

/**
 * Forks the load process. It gets no inherited node flags (a --cpu-prof given to the runner
 * profiles the server, not the load), unless BENCH_LOAD_EXEC_ARGV says otherwise.
 */
export function forkLoadProcess(): LoadProcess {
  const execArgv = process.env.BENCH_LOAD_EXEC_ARGV ? process.env.BENCH_LOAD_EXEC_ARGV.split(' ').filter(Boolean) : [];
  const child: ChildProcess = fork(SCRIPT, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const listeners = new Set<(msg: FromLoad) => void>();
  child.on('message', (msg: FromLoad) => {
    for (const l of [...listeners]) l(msg);
  });

  const kill = async (): Promise<void> => {
    if (exited) return;
    if (child.connected) child.send({ type: 'stop' } satisfies ToLoad);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const forget = onCleanup(`stop load process ${child.pid}`, kill);

  return {
    pid: child.pid!,
    request(msg, expect, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`load process: no ${expect} within ${timeoutMs} ms`)), timeoutMs);
        const onExit = () => done(new Error(`load process exited while waiting for ${expect}`));
        const listener = (m: FromLoad) => {
          if (m.type === expect) done(null, m);
          else if (m.type === 'failed') done(new Error(`load process failed: ${m.message}`));
        };
        function done(err: Error | null, m?: FromLoad) {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
          if (err) reject(err);
          else resolve(m as Extract<FromLoad, { type: typeof expect }>);
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

export interface ClockCheck {
  /** Round trip of an IPC ping, ms. */
  rttP50: number;
  /** Worst amount by which the load process's clock read outside [sent, answered] of the runner's, ms (0 = consistent). */
  worstSkewMs: number;
}

/**
 * Checks that the two processes read one clock: the load process's time for each ping must lie
 * between the runner's send and receive times.
 */
export async function checkClocks(load: LoadProcess, rounds = 20): Promise<ClockCheck> {
  const rtts: number[] = [];
  let worst = 0;
  for (let seq = 0; seq < rounds; seq++) {
    const sent = monoMs();
    const answer = await load.request({ type: 'clock', seq }, 'clock');
    const back = monoMs();
    rtts.push(back - sent);
    worst = Math.max(worst, sent - answer.t, answer.t - back);
  }
  return { rttP50: summarize(rtts).p50, worstSkewMs: Math.round(Math.max(0, worst) * 1000) / 1000 };
}
