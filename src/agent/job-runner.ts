import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { createOutputCollector } from './output-collector.js';
import { compactDuration } from '../core/index.js';

/** What to run: a resolved argv (never a shell string unless argv is `/bin/sh -c …`). */
export interface JobSpec {
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** Added to the agent's own environment (without its `SKADI_*` variables). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly outputCap: number;
}

export interface JobOutcome {
  /** Process exit code; -1 when it could not start, was killed, or died by a signal. */
  exitCode: number;
  /** Why the agent failed the job itself: `timeout`, the cancel reason, a spawn error. */
  error?: string;
  outputBytes: number;
  truncated: boolean;
}

export interface RunJobOptions {
  /** Receives output chunks (stdout and stderr interleaved in arrival order). */
  onOutput(chunk: string): void;
  /** Aborting kills the job; a string `reason` becomes the outcome's error (default `cancelled`). */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
  flushIntervalMs?: number;
  flushBytes?: number;
}

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface RunJobDeps {
  spawn?: SpawnFn;
}

/**
 * The environment a job starts from: the agent's own, minus `SKADI_*` variables, so that
 * the agent token (and, when embedded in the server, database URLs and secrets) never reach
 * a job. A handler's `env` may still set such names explicitly.
 */
export function jobBaseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('SKADI_')) out[key] = value;
  }
  return out;
}

/** After the main process exits, how long descendants may keep its pipes open. */
const ORPHAN_GRACE_MS = 1_000;

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code} (${e.message})` : String(e.message ?? err);
}

/**
 * Runs one job to completion. The process gets its own process group so that a timeout or
 * cancel (SIGTERM, then SIGKILL after the grace period) also reaches its children.
 * Never rejects: every failure is an outcome with exitCode -1 and an error.
 */
export function runJob(spec: JobSpec, options: RunJobOptions, deps: RunJobDeps = {}): Promise<JobOutcome> {
  const spawn = deps.spawn ?? nodeSpawn;
  const killGraceMs = options.killGraceMs ?? 5_000;
  const output = createOutputCollector({
    cap: spec.outputCap,
    emit: options.onOutput,
    flushIntervalMs: options.flushIntervalMs,
    flushBytes: options.flushBytes,
  });

  return new Promise<JobOutcome>((resolve) => {
    const timers = new Set<NodeJS.Timeout>();
    let killReason: string | undefined;
    let settled = false;
    let child: ChildProcess;

    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };

    const finish = (exitCode: number, error?: string): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      output.close();
      resolve({ exitCode, ...(error === undefined ? {} : { error }), outputBytes: output.bytes, truncated: output.truncated });
    };

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child?.pid === undefined) return;
      try {
        process.kill(-child.pid, sig); // negative pid: the whole group
      } catch {
        // ESRCH: the group is already gone.
      }
    };

    const terminate = (reason: string, note: string): void => {
      if (killReason !== undefined || settled) return;
      killReason = reason;
      output.note(note);
      killGroup('SIGTERM');
      later(killGraceMs, () => killGroup('SIGKILL'));
    };

    function onAbort(): void {
      const reason = options.signal?.reason;
      const text = typeof reason === 'string' ? reason : 'cancelled';
      terminate(text, `[stopped by the agent: ${text}]`);
    }

    try {
      child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        cwd: spec.cwd,
        env: { ...jobBaseEnv(), ...spec.env },
        shell: false,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      finish(-1, `could not start ${spec.argv[0]}: ${errorText(err)}`);
      return;
    }

    // One decoder per stream: a multi-byte character split across two reads of stdout must
    // not be garbled by stderr data arriving in between.
    const outDecoder = new StringDecoder('utf8');
    const errDecoder = new StringDecoder('utf8');
    child.stdout?.on('data', (data: Buffer) => output.write(outDecoder.write(data)));
    child.stderr?.on('data', (data: Buffer) => output.write(errDecoder.write(data)));

    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('error', (err) => {
      // Without a pid this is a spawn failure (ENOENT, EACCES); 'close' follows with a
      // meaningless code, so the clear message is settled first.
      if (child.pid !== undefined) return;
      const where = spec.cwd === undefined ? '' : ` in ${spec.cwd}`;
      finish(-1, `could not start ${spec.argv[0]}${where}: ${errorText(err)}`);
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // Descendants that still hold the pipes would keep the job open forever: after a short
      // grace they are killed, and the output says so.
      later(ORPHAN_GRACE_MS, () => {
        output.note('[the agent killed processes the job left running]');
        killGroup('SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
      });
    });
    child.on('close', (code, signal) => {
      output.write(outDecoder.end());
      output.write(errDecoder.end());
      const status = exited ?? { code, signal };
      if (killReason !== undefined) finish(-1, killReason);
      else if (status.code !== null) finish(status.code);
      else finish(-1, `killed by ${status.signal ?? 'a signal'}`);
    });

    later(spec.timeoutMs, () => terminate('timeout', `[killed by the agent: timeout after ${compactDuration(spec.timeoutMs)}]`));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
