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

/**
 * Runs `skadi ARGS…` to completion. Without `cwd` it runs in a fresh temp directory, so a
 * command on the embedded defaults never writes `./data` into the repository.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? tempDir('skadi-cli-'), env: { ...cleanEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  /** Exit code once exited (128 when ended by a signal). */
  exited: Promise<number | null>;
  /** Resolves once the output matches `pattern` (already written or later); rejects after `timeoutMs` or on exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
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

function controls(child: ChildProcess, exited: Promise<number | null>, output: () => string) {
  return {
    waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
      return new Promise((resolvePromise, reject) => {
        let done = false;
        const finish = (fn: () => void) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          fn();
        };
        const check = () => {
          const m = pattern.exec(output());
          if (m) finish(() => resolvePromise(m));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${output()}`))), timeoutMs);
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        // A last look once the process is gone: its final words may be the match.
        void exited.then(() => setImmediate(() => (pattern.exec(output()) ? check() : finish(() => reject(new Error(`process exited before output matched ${pattern}:\n${output()}`))))));
        check();
      });
    },
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
  return { proc: child, url, output, exited, ...controls(child, exited, output) };
}

/**
 * Starts `skadi agent` with an agent config (YAML text) written to a temp file. A config that
 * pins no server key (`serverPublicKey`) and does not say `allowUnsignedJobs` gets
 * `allowUnsignedJobs: true` added, so suites about other things need not pin the key of each
 * server they start; `trust` pins one instead (the signed-jobs tests do).
 */
export function startAgent(options: { server: string; token: string; configYaml: string; cwd?: string; env?: Record<string, string>; args?: string[]; trust?: { name: string; serverPublicKey: string } }): SkadiProcess {
  assertBuilt();
  const dir = options.cwd ?? tempDir('skadi-agent-');
  const configPath = join(dir, `agent-${process.hrtime.bigint()}.yaml`);
  let yaml = options.configYaml;
  if (options.trust) yaml = `name: ${options.trust.name}\nserverPublicKey: "${options.trust.serverPublicKey}"\n${yaml}`;
  else if (!/^(serverPublicKey|allowUnsignedJobs):/m.test(yaml)) yaml = `allowUnsignedJobs: true\n${yaml}`;
  writeFileSync(configPath, yaml);
  const child = spawn(process.execPath, [BIN, 'agent', '--server', options.server, '--token', options.token, '--config', configPath, ...(options.args ?? [])], {
    cwd: dir,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = track(child);
  return { proc: child, url: '', output, exited, ...controls(child, exited, output) };
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

/** The public job-signing key a `skadi serve` process logged at start (what agents pin). */
export function servePublicKey(serve: SkadiProcess): string {
  const m = /"publicKey":"([A-Za-z0-9+/=]+)"[^\n]*"msg":"job signing key"/.exec(serve.output());
  if (!m) throw new Error(`no "job signing key" line in the server's output:\n${serve.output().slice(0, 2000)}`);
  return m[1]!;
}
