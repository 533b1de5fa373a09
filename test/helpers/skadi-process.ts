import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI: end-to-end tests drive the real `skadi` processes (npm test builds first). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'dist/src/cli/bin.js');

function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
}

/** A fresh working directory for one process group (its ./data lands there). */
export function tempDir(prefix = 'skadi-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `skadi ARGS…` to completion. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...cleanEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`skadi ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface SkadiProcess {
  proc: ChildProcess;
  /** Base URL, from the "Skadi is running at" line (serve) — empty for agents. */
  url: string;
  /** Everything the process wrote so far (stdout JSON logs and stderr). */
  output(): string;
  /** SIGTERM and wait for exit (graceful), or SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
  /** kill -9, as a crash. */
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SKADI_')) env[k] = v;
  return env;
}

function track(child: ChildProcess): { output: () => string; exited: Promise<number | null> } {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
  return { output: () => out, exited };
}

function controls(child: ChildProcess, exited: Promise<number | null>) {
  return {
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Starts `skadi serve` on a free port (port 0) in `cwd` and resolves once it prints its URL.
 * `env` holds the SKADI_* settings; the caller's own SKADI_* variables are not inherited.
 */
export async function startServe(options: { cwd: string; env?: Record<string, string>; args?: string[]; timeoutMs?: number }): Promise<SkadiProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...cleanEnv(), SKADI_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = track(child);
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`skadi serve did not start within ${options.timeoutMs ?? 30_000} ms:\n${output()}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const m = /Skadi is running at (\S+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`skadi serve exited with ${code} before it was ready:\n${output()}`));
    });
  });
  return { proc: child, url, output, exited, ...controls(child, exited) };
}

/** Starts `skadi agent` with an agent config (YAML text) written to a temp file. */
export function startAgent(options: { server: string; token: string; configYaml: string; cwd?: string; env?: Record<string, string>; args?: string[] }): SkadiProcess {
  assertBuilt();
  const dir = options.cwd ?? tempDir('skadi-agent-');
  const configPath = join(dir, `agent-${process.hrtime.bigint()}.yaml`);
  writeFileSync(configPath, options.configYaml);
  const child = spawn(process.execPath, [BIN, 'agent', '--server', options.server, '--token', options.token, '--config', configPath, ...(options.args ?? [])], {
    cwd: dir,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = track(child);
  return { proc: child, url: '', output, exited, ...controls(child, exited) };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a YAML or JSON config file into `dir` and returns its path. */
export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
