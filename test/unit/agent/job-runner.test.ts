import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runJob, type JobSpec } from '../../../src/agent/job-runner.js';
import { createOutputCollector, splitUtf8 } from '../../../src/agent/output-collector.js';

const NODE = process.execPath;

function spec(argv: string[], extra: Partial<JobSpec> = {}): JobSpec {
  return { argv, timeoutMs: 10_000, outputCap: 1024 * 1024, ...extra };
}

async function run(s: JobSpec, options: { signal?: AbortSignal; killGraceMs?: number } = {}) {
  const chunks: string[] = [];
  const outcome = await runJob(s, { onOutput: (c) => chunks.push(c), killGraceMs: options.killGraceMs ?? 300, signal: options.signal });
  return { outcome, chunks, output: chunks.join('') };
}

/** True while `pid` runs; a zombie (killed, not yet reaped by a container's PID 1) counts as dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('output collector', () => {
  it('splits on UTF-8 character boundaries', () => {
    expect(splitUtf8('aé你😀', 4)).toEqual(['aé', '你😀']);
    expect(splitUtf8('😀', 3)).toEqual(['', '😀']);
    expect(splitUtf8('abc', 10)).toEqual(['abc', '']);
  });

  it('batches small writes and caps chunk size', async () => {
    const chunks: string[] = [];
    const c = createOutputCollector({ cap: 1e6, emit: (x) => chunks.push(x), flushIntervalMs: 20, flushBytes: 100, maxChunkBytes: 40 });
    c.write('a');
    c.write('b');
    expect(chunks).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(chunks).toEqual(['ab']);
    c.write('x'.repeat(100));
    expect(chunks.slice(1)).toEqual(['x'.repeat(40), 'x'.repeat(40), 'x'.repeat(20)]);
    c.close();
  });
});

describe('runJob', () => {
  it('streams stdout and stderr interleaved in arrival order', async () => {
    const script = `
      process.stdout.write('one\\n');
      setTimeout(() => process.stderr.write('two\\n'), 200);
      setTimeout(() => process.stdout.write('three\\n'), 400);`;
    const { outcome, output, chunks } = await run(spec([NODE, '-e', script]));
    expect(outcome).toEqual({ exitCode: 0, outputBytes: 14, truncated: false });
    expect(output).toBe('one\ntwo\nthree\n');
    expect(chunks.length).toBeGreaterThan(1); // flushed while running, not only at the end
  });

  it('passes argv without a shell and adds env', async () => {
    const { outcome, output } = await run(spec([NODE, '-e', 'console.log(process.argv.slice(1).join("|"), process.env.FOO)', '$(id)', 'a b', '你好'], { env: { FOO: 'bar' } }));
    expect(outcome.exitCode).toBe(0);
    expect(output).toBe('$(id)|a b|你好 bar\n');
  });

  it('does not pass the agent\'s SKADI_* variables (its token) to jobs', async () => {
    process.env.SKADI_AGENT_TOKEN = 'secret-token';
    try {
      const script = 'console.log(process.env.SKADI_AGENT_TOKEN ?? "none", process.env.SKADI_JOB_ID, process.env.PATH ? "path" : "no-path")';
      const { output } = await run(spec([NODE, '-e', script], { env: { SKADI_JOB_ID: 'j1' } }));
      expect(output).toBe('none j1 path\n');
    } finally {
      delete process.env.SKADI_AGENT_TOKEN;
    }
  });

  it('reports a non-zero exit code', async () => {
    const { outcome } = await run(spec([NODE, '-e', 'process.exit(3)']));
    expect(outcome).toMatchObject({ exitCode: 3 });
    expect(outcome.error).toBeUndefined();
  });

  it('keeps multi-byte characters split across reads intact', async () => {
    const script = `const b = Buffer.from('你好'); process.stdout.write(b.subarray(0, 2)); setTimeout(() => process.stdout.write(b.subarray(2)), 50);`;
    expect((await run(spec([NODE, '-e', script]))).output).toBe('你好');
  });

  it('truncates beyond the output cap with an explicit note and lets the process finish', async () => {
    const script = `process.stdout.write('x'.repeat(5000)); setTimeout(() => { process.stdout.write('y'.repeat(5000)); process.exit(0); }, 30);`;
    const { outcome, output } = await run(spec([NODE, '-e', script], { outputCap: 1000 }));
    expect(outcome).toEqual({ exitCode: 0, outputBytes: 1000, truncated: true });
    expect(output).toBe(`${'x'.repeat(1000)}\n[output truncated at 1000 bytes by the agent]\n`);
  });

  it('fails with a clear error when the program does not exist', async () => {
    const { outcome } = await run(spec(['/nonexistent/skadi-test-program', 'x']));
    expect(outcome.exitCode).toBe(-1);
    expect(outcome.error).toMatch(/could not start \/nonexistent\/skadi-test-program: ENOENT/);
  });

  it('kills the process group on timeout: a child that ignores SIGTERM gets SIGKILL', async () => {
    // The inner shell ignores SIGTERM (ignored signals survive exec, so `sleep` does too),
    // prints its pid and keeps the output pipe open; the outer shell dies on SIGTERM.
    const script = `sh -c 'trap "" TERM; echo $$; exec sleep 30' & wait`;
    const started = Date.now();
    const { outcome, output } = await run(spec(['sh', '-c', script], { timeoutMs: 500 }), { killGraceMs: 300 });
    expect(outcome.exitCode).toBe(-1);
    expect(outcome.error).toBe('timeout');
    expect(output).toMatch(/\[killed by the agent: timeout after 500ms\]/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(output.split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    // The pipes close during the kernel's exit path, a moment before the process is gone.
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });

  it('cancels via the abort signal (SIGTERM), with the reason as error', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('cancelled'), 200);
    const { outcome, output } = await run(spec(['sleep', '30']), { signal: controller.signal });
    expect(outcome).toMatchObject({ exitCode: -1, error: 'cancelled' });
    expect(output).toContain('[stopped by the agent: cancelled]');
  });

  it('kills descendants that keep the output pipes open after the main process exits', async () => {
    const { outcome, output } = await run(spec(['sh', '-c', 'echo started; sleep 30 & exit 0']));
    expect(outcome.exitCode).toBe(0);
    expect(output).toBe('started\n[the agent killed processes the job left running]\n');
  });
});
