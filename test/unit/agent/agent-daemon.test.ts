import { spawn as nodeSpawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentApiError } from '../../../src/agent/agent-api-error.js';
import { validateAgentConfig } from '../../../src/agent/agent-config.js';
import { createAgentDaemon, type AgentDaemon, type AgentDaemonOptions } from '../../../src/agent/agent-daemon.js';
import type { SpawnFn } from '../../../src/agent/job-runner.js';
import type { Logger } from '../../../src/core/logger.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../helpers/fake-agent-api.js';
import { createJobGuard } from '../../../src/agent/job-guard.js';
import { memoryJobJournal } from '../../../src/agent/job-journal.js';

interface LogLine {
  level: string;
  msg: string;
  obj: object | string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, msg: msg ?? (typeof obj === 'string' ? obj : ''), obj });
    };
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), child: () => logger };
  return logger;
}

const config = validateAgentConfig({
  concurrency: 2,
  labels: { role: 'test' },
  handlers: {
    echo: { argv: ['echo', '{args}'] },
    slow: { argv: ['sleep', '{args}'], allowArgs: '[0-9.]+' },
    chatty: { argv: [process.execPath, '-e', 'for (let i = 0; i < 3; i++) setTimeout(() => console.log("line " + i), i * 150)'] },
  },
});

let fake: FakeAgentApi;
let daemon: AgentDaemon | undefined;
let lines: LogLine[];
let spawned: string[][];

const spyingSpawn: SpawnFn = (command, args, options) => {
  spawned.push([command, ...args]);
  return nodeSpawn(command, args, options);
};

function start(overrides: Partial<AgentDaemonOptions> = {}, token?: string): AgentDaemon {
  daemon = createAgentDaemon(
    { server: fake.url, token: token ?? fake.token, config, guard: createJobGuard({ name: null, serverPublicKeys: [], allowUnsignedJobs: true }, { journal: memoryJobJournal() }), name: 'test-agent', version: '9.9.9', pollWaitSeconds: 1, backoff: { baseMs: 10, capMs: 50 }, killGraceMs: 300, ...overrides },
    { logger: recordingLogger(lines), spawn: spyingSpawn, hostname: () => 'test-host' },
  );
  void daemon.start();
  return daemon;
}

beforeEach(async () => {
  fake = await startFakeAgentApi();
  lines = [];
  spawned = [];
});

afterEach(async () => {
  await daemon?.stop({ drainMs: 0 });
  daemon = undefined;
  await fake.close();
});

describe('agent daemon', () => {
  it('runs a job through ack → output → result with the right chunk count, and checks in', async () => {
    start();
    const job = fake.enqueue({ message: 'chatty' });
    const result = await fake.waitFor(() => fake.result(job.id));
    expect(result).toEqual({ lease: job.lease, exitCode: 0, chunks: fake.chunkSeqs(job.id).length });
    expect(result.chunks).toBeGreaterThan(1);
    expect(fake.chunkSeqs(job.id)).toEqual([...Array(result.chunks).keys()]);
    expect(fake.output(job.id)).toBe('line 0\nline 1\nline 2\n');
    const order = fake.requests.filter((r) => r.jobId === job.id).map((r) => r.route);
    expect(order[0]).toBe('ack');
    expect(order.at(-1)).toBe('result');
    expect(fake.polls[0]).toMatchObject({ wait: 1, max: 2, running: [], info: { version: '9.9.9', host: 'test-host', labels: { role: 'test' } } });
    expect(fake.polls[0]!.info!.os).toMatch(/\S+ \S+/);
    await fake.waitFor(() => daemon!.running() === 0);
  });

  it('kills a job the server names as cancelled in the answer to a held poll', async () => {
    start({ pollWaitSeconds: 20 });
    const job = fake.enqueue({ message: 'slow 30' });
    await fake.waitFor(() => fake.state(job.id) === 'running');
    await new Promise((r) => setTimeout(r, 100)); // the next poll is held now
    const cancelledAt = Date.now();
    fake.cancel(job.id);
    const refused = await fake.waitFor(() => fake.requests.find((r) => r.route === 'result' && r.jobId === job.id), 5_000);
    expect(Date.now() - cancelledAt).toBeLessThan(2_000); // from the held poll, not its timeout
    expect(refused.body).toMatchObject({ exitCode: -1, error: 'cancelled' });
    await fake.waitFor(() => daemon!.running() === 0);
    expect(lines.some((l) => l.msg === 'job cancelled by the server')).toBe(true);
  });

  it('kills a job when an output answer says it was cancelled', async () => {
    start({ config: validateAgentConfig({ handlers: { ticker: { argv: [process.execPath, '-e', 'setInterval(() => console.log("tick"), 50)'] } } }) });
    const job = fake.enqueue({ message: 'ticker' });
    await fake.waitFor(() => fake.chunkSeqs(job.id).length > 0);
    fake.cancel(job.id, { viaPoll: false });
    const refused = await fake.waitFor(() => fake.requests.find((r) => r.route === 'result' && r.jobId === job.id), 5_000);
    expect(refused.body).toMatchObject({ exitCode: -1, error: 'cancelled' });
    await fake.waitFor(() => daemon!.running() === 0);
  });

  it('stops a job and sends no result when the server refuses its output for good', async () => {
    start({ config: validateAgentConfig({ handlers: { ticker: { argv: [process.execPath, '-e', 'setInterval(() => console.log("tick"), 50)'] } } }) });
    const job = fake.enqueue({ message: 'ticker' });
    fake.fail('output', 1, 409, 'SKADI_LEASE_MISMATCH', job.id);
    await fake.waitFor(() => fake.requests.some((r) => r.route === 'output' && r.jobId === job.id));
    await fake.waitFor(() => daemon!.running() === 0, 3_000);
    expect(fake.requests.filter((r) => r.jobId === job.id).map((r) => r.route)).toEqual(['ack', 'output']);
  });

  it('sends all chunks again when the server says output is incomplete', async () => {
    start();
    const job = fake.enqueue({ message: 'chatty' });
    fake.loseOutput(job.id, 0);
    const result = await fake.waitFor(() => fake.result(job.id));
    expect(fake.output(job.id)).toBe('line 0\nline 1\nline 2\n');
    expect(fake.chunkSeqs(job.id)).toEqual([...Array(result.chunks).keys()]);
    expect(fake.requests.filter((r) => r.route === 'result' && r.jobId === job.id)).toHaveLength(2);
  });

  it('applies the shorter of the server job timeout and the handler timeout', async () => {
    start();
    const job = fake.enqueue({ message: 'slow 30', timeoutMs: 200 });
    const result = await fake.waitFor(() => fake.result(job.id), 3_000);
    expect(result).toMatchObject({ exitCode: -1, error: 'timeout' });
    expect(fake.output(job.id)).toBe('[killed by the agent: timeout after 200ms]\n');
  });

  it('does not run a job whose ack is refused (lease lost)', async () => {
    start();
    const job = fake.enqueue({ id: 'lost', message: 'echo should not run' });
    fake.fail('ack', 1, 409, 'SKADI_LEASE_MISMATCH', job.id);
    await fake.waitFor(() => fake.requests.some((r) => r.route === 'ack' && r.jobId === job.id));
    await fake.waitFor(() => daemon!.running() === 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(spawned).toEqual([]);
    expect(fake.requests.filter((r) => r.jobId === job.id).map((r) => r.route)).toEqual(['ack']);
  });

  it('reports a refusal (unknown handler) as a failed result without running anything', async () => {
    start();
    const job = fake.enqueue({ message: 'reboot now' });
    const result = await fake.waitFor(() => fake.result(job.id));
    expect(result).toMatchObject({ exitCode: -1, chunks: 0, error: 'unknown command "reboot"; this agent runs: chatty, echo, slow' });
    expect(spawned).toEqual([]);
  });

  it('backs off on 503, logs the outage once, and recovers', async () => {
    fake.fail('poll', 3, 503, 'SKADI_UNAVAILABLE');
    start();
    const job = fake.enqueue({ message: 'echo back again' });
    fake.fail('output', 1, 503, 'SKADI_UNAVAILABLE');
    fake.fail('result', 1, 502, 'SKADI_UNAVAILABLE');
    const result = await fake.waitFor(() => fake.result(job.id));
    expect(result).toMatchObject({ exitCode: 0, chunks: 1 });
    expect(fake.output(job.id)).toBe('back again\n');
    expect(fake.requests.filter((r) => r.route === 'poll').length).toBeGreaterThanOrEqual(4);
    expect(lines.filter((l) => l.msg.startsWith('cannot reach the server'))).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'connected to the server again')).toBe(true);
  });

  it('frees a slot as soon as a job ends: a full agent polls with max 0 and re-polls at once', async () => {
    start({ config: validateAgentConfig({ concurrency: 1, handlers: { slow: { argv: ['sleep', '{args}'] } } }), pollWaitSeconds: 10 });
    const first = fake.enqueue({ message: 'slow 0.3' });
    const second = fake.enqueue({ message: 'slow 0' });
    await fake.waitFor(() => fake.polls.some((p) => p.max === 0));
    const started = Date.now();
    await fake.waitFor(() => fake.result(second.id));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.result(first.id)).toMatchObject({ exitCode: 0 });
  });

  it('stop() aborts the held poll, lets running jobs finish within drainMs and reports them', async () => {
    const d = start({ pollWaitSeconds: 25 });
    const job = fake.enqueue({ message: 'slow 0.3' });
    await fake.waitFor(() => fake.state(job.id) === 'running');
    const started = Date.now();
    await d.stop({ drainMs: 5_000 });
    expect(fake.result(job.id)).toMatchObject({ exitCode: 0, chunks: 0 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(d.running()).toBe(0);
    await expect(d.done()).resolves.toBeUndefined();
  });

  it('stop() kills jobs still running after drainMs and reports them', async () => {
    const d = start();
    const job = fake.enqueue({ message: 'slow 30' });
    await fake.waitFor(() => fake.state(job.id) === 'running');
    const started = Date.now();
    await d.stop({ drainMs: 100 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.result(job.id)).toMatchObject({ exitCode: -1, error: 'cancelled: the agent is shutting down' });
  });

  it('with onUnauthorized "exit", stops and rejects done() on a refused token', async () => {
    const d = start({ onUnauthorized: 'exit' }, 'wrong-token');
    const err = await d.done().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AgentApiError);
    expect(err).toMatchObject({ httpStatus: 401, code: 'SKADI_UNAUTHENTICATED' });
    expect(lines.some((l) => l.level === 'error' && /refused the agent token/.test(l.msg))).toBe(true);
  });

  it('with the default, keeps retrying slowly on a refused token', async () => {
    start({ authRetryMs: 50 }, 'wrong-token');
    await fake.waitFor(() => lines.filter((l) => l.level === 'error').length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(daemon!.running()).toBe(0);
    expect(lines.filter((l) => /refused the agent token/.test(l.msg))).toHaveLength(1);
  });
});
