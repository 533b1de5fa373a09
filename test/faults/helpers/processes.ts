import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Every process a fault test starts, so that none outlives the test run: afterAll/afterEach stop
 * them in order, and this last resort SIGKILLs whatever is left when the worker exits (a crash,
 * a timeout that skipped the hooks).
 */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/**
 * The suite's own list of what it started (`pids`, `dirs` in the suite directory), for the global
 * teardown to end and delete whatever a crashed worker left behind. Absent outside the suite.
 */
function suiteList(name: 'pids' | 'dirs'): string | null {
  try {
    return join(inject('faultsSuiteDir'), name);
  } catch {
    return null;
  }
}

function register(child: ChildProcess): void {
  installExitHook();
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  children.add(child);
  child.on('exit', () => children.delete(child));
  const list = suiteList('pids');
  const started = processStartTime(child.pid);
  if (list && started) appendFileSync(list, `${child.pid} ${started}\n`);
}

/** The kernel's start time of a process (/proc/<pid>/stat, field 22): with the pid, it names one process for good. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Starts a process and registers it for the exit hook. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  register(child);
  return child;
}

/** Registers a process started elsewhere (startServe, startAgent) for the exit hook. */
export function track(child: ChildProcess): void {
  register(child);
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** kill -9 and wait for the exit. */
export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh temp directory; `remove()` deletes it (never throws). */
export function scratchDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const list = suiteList('dirs');
  if (list) appendFileSync(list, `${path}\n`);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = null;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

/** Keeps the last `max` characters a process wrote, for failure messages. */
export function captureOutput(child: ChildProcess, max = 200_000): () => string {
  let out = '';
  const add = (d: Buffer | string) => {
    out += String(d);
    if (out.length > max) out = out.slice(-max);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}
