import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, createUserApi } from '../../src/cli/api-client.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runShellSession } from '../../src/cli/shell-session.js';
import { BIN, eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const AGENT_YAML = `
labels: { role: web, region: eu }
handlers:
  echo: { argv: [echo, "{args}"] }
  sleep: { argv: [sleep, "{args}"] }
`;

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** `skadi shell` with commands piped to stdin: answers the exit status and the output. */
function pipeShell(args: string[], stdin: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SKADI_'))) as Record<string, string>;
    const child = spawn(process.execPath, [BIN, 'shell', ...args], { cwd: tempDir('skadi-shell-'), env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`skadi shell timed out\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

/**
 * Issue 8, `skadi shell`, with the built processes: a real `skadi serve` (SQLite) and a real
 * `skadi agent`; commands piped in as a script, and typed into a real terminal (tmux) for TAB
 * completion, Ctrl-C and history.
 */
describe('skadi shell against skadi serve and an agent', () => {
  const cwd = tempDir('skadi-e2e-shell-');
  const env: Record<string, string> = { SKADI_DATABASE_URL: `sqlite:${join(cwd, 'skadi.db')}`, SKADI_DEMO_AGENT: 'false', SKADI_DATA_DIR: join(cwd, 'data') };
  let server: SkadiProcess;
  let agent: SkadiProcess;
  let token: string;

  beforeAll(async () => {
    const added = await runCli(['agent', 'add', 'web-1', '--label', 'role=web', '--label', 'region=eu'], { cwd, env });
    expect(added.code, added.stderr).toBe(0);
    const [db, created] = await Promise.all([runCli(['agent', 'add', 'db-1', '--label', 'role=db'], { cwd, env }), runCli(['token', 'create', 'ops'], { cwd, env })]);
    expect(db.code, db.stderr).toBe(0);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    server = await startServe({ cwd, env });
    agent = startAgent({ server: server.url, token: added.stdout.trim(), configYaml: AGENT_YAML });
    await eventually(async () => {
      const res = await fetch(`${server.url}/api/v1/agents/web-1`, { headers: { authorization: `Bearer ${token}` } });
      return res.ok && ((await res.json()) as { status: string }).status === 'online';
    }, 30_000, 'agent web-1 online');
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('runs piped commands as a script: use, list, send (to the agent by name), jobs', async () => {
    const script = ['use web-1', 'list', 'send echo "hello   shell"', 'jobs', 'use role=web', 'list', 'status nope-such-job'].join('\n');
    const r = await pipeShell(['--server', server.url], `${script}\n`, { SKADI_TOKEN: token, SKADI_HISTORY_FILE: join(cwd, 'piped-history') });
    const lines = r.stdout.split('\n');
    expect(r.stderr).toContain('target: web-1 (one agent)');
    expect(lines.filter((l) => l.startsWith('web-1 '))[0]).toMatch(/^web-1\s+online\s+now\s+\S+\s+(role=web,region=eu|region=eu,role=web)$/);
    // The message reaches the agent as typed: its quotes keep the spaces.
    expect(lines).toContain('hello   shell');
    const jobId = /^job (\S+) succeeded \(exit 0\)$/m.exec(r.stdout)?.[1];
    expect(jobId, r.stdout + r.stderr).toBeDefined();
    expect(lines.some((l) => l.startsWith(jobId!) && l.includes('succeeded') && l.includes('echo "hello   shell"'))).toBe(true);
    expect(r.stderr).toContain('target: role=web (1 agent(s): web-1)');
    expect(lines.some((l) => l.startsWith('db-1'))).toBe(false);
    // The last command failed: a script's exit status says so; piped input leaves no history.
    expect(r.stderr).toContain('error SKADI_JOB_NOT_FOUND');
    expect(r.code).toBe(EXIT.error);
    expect(existsSync(join(cwd, 'piped-history'))).toBe(false);
  }, 60_000);

  it('ends a clean script with 0, a bad selector with 2, and refuses to start without a token', async () => {
    const ok = await pipeShell(['--server', server.url, '--token', token, '--use', 'web-1'], 'watch 1\nlist\n', {});
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
    expect(ok.stderr).toContain(`watching EventAgentStatus,EventFleetDrift,EventJobStatus for web-1 on ${server.url}`);
    expect(ok.stdout).toMatch(/^web-1 /m);
    const bad = await pipeShell(['--server', server.url, '--token', token], 'use role in (web\nlist\n', {});
    expect(bad.stderr).toContain('the list is not closed');
    expect(bad.stdout).toMatch(/^db-1 /m);
    expect(bad.code).toBe(EXIT.usage);
    const none = await pipeShell(['--server', server.url], 'list\n', {});
    expect(none.stderr).toMatch(/error SKADI_UNAUTHENTICATED: no API token/);
    expect(none.code).toBe(EXIT.error);
  }, 60_000);

  it('in a real terminal: TAB completes agent names and labels, Ctrl-C stops waiting, history is written without the token', async () => {
    const historyFile = join(cwd, 'tty-history');
    if (!hasTmux) {
      if (process.env.CI) throw new Error('tmux is not on PATH: the real-terminal test of `skadi shell` needs it in CI (apt-get install tmux)');
      // Without tmux: the same session in-process, node:readline in terminal mode over streams.
      const input = new PassThrough();
      const output = new PassThrough();
      let seen = '';
      output.on('data', (d) => (seen += d));
      const done = runShellSession({ input, output, errorOutput: output, terminal: true, api: createUserApi(createApiClient({ server: server.url, token })), server: server.url, token, historyFile, processSignals: false });
      input.write('use we');
      input.write('\t');
      await eventually(() => seen.includes('use web-1'), 5000, 'completed agent name');
      input.write('\r');
      await eventually(() => seen.includes('skadi [web-1]> '), 5000, 'prompt with the target');
      input.write('\x04');
      await done;
      expect(readFileSync(historyFile, 'utf8')).toBe('use web-1\n');
      return;
    }
    const socket = `skadi-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'shell');
    const waitScreen = (pattern: RegExp, what: string) => eventually(() => pattern.test(screen()), 20_000, `${what}; screen:\n${screen()}`);
    const press = async (...keys: string[]) => {
      // One key per write, a moment apart: node:readline treats a TAB inside a burst of text as pasted.
      for (const key of keys) {
        tmux('send-keys', '-t', 'shell', key);
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    const typeText = async (text: string) => {
      tmux('send-keys', '-t', 'shell', '-l', text);
      await new Promise((r) => setTimeout(r, 150));
    };
    tmux('new-session', '-d', '-s', 'shell', '-x', '160', '-y', '50', '-e', `SKADI_TOKEN=${token}`, '-e', `SKADI_HISTORY_FILE=${historyFile}`, `${process.execPath} ${BIN} shell --server ${server.url}; sleep 60`);
    try {
      await waitScreen(/^skadi> $/m, 'first prompt');
      await typeText('use we');
      await press('Tab');
      await waitScreen(/^skadi> use web-1$/m, 'agent name completed');
      await press('Enter');
      await waitScreen(/^skadi \[web-1\]> $/m, 'prompt with the target');

      // Ctrl-C while send waits: back at the prompt, the job goes on until cancelled.
      await typeText('send sleep 30');
      await press('Enter');
      await new Promise((r) => setTimeout(r, 1500));
      await press('C-c');
      await waitScreen(/stopped waiting; job \S+ goes on[^\n]*\nskadi \[web-1\]> $/m, 'Ctrl-C stopped the wait');
      const jobId = /stopped waiting; job (\S+) goes on/.exec(screen())![1]!;
      await typeText(`cancel ${jobId}`);
      await press('Enter');
      await waitScreen(new RegExp(`^job ${jobId} cancelled`, 'm'), 'job cancelled');

      await typeText('use reg');
      await press('Tab');
      await waitScreen(/> use region=$/m, 'label key completed');
      await press('Tab');
      await waitScreen(/> use region=eu$/m, 'label value completed');
      await press('Enter');
      await waitScreen(/^skadi \[region=eu\]> $/m, 'selector target');

      await typeText('li');
      await press('Tab', 'Enter');
      await waitScreen(/^web-1\s+online/m, 'list completed and ran');
      await press('C-d');
      await eventually(() => existsSync(historyFile) && readFileSync(historyFile, 'utf8').includes('list'), 10_000, 'history written');
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    }
    const saved = readFileSync(historyFile, 'utf8');
    expect(saved).toMatch(/^use web-1\nsend sleep 30\ncancel \S+\nuse region=eu\nlist\n$/);
    expect(saved).not.toContain(token);
  }, 90_000);
});
