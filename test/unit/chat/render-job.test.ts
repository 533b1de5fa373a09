import { describe, expect, it } from 'vitest';
import { fitsInOneMessage, renderOutputPiece, renderQueued, renderResult, renderRunning, withoutOutput } from '../../../src/chat/render-job.js';
import type { AdapterCapabilities } from '../../../src/core/index.js';
import { testAgent, testJob } from '../../helpers/memory-jobs-api.js';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const caps = (maxTextLength: number): AdapterCapabilities => ({ threads: true, edit: true, files: false, buttons: false, maxTextLength });

describe('render-job', () => {
  it('acknowledges: "Job abc queued for local: uptime"', () => {
    const job = testJob({ id: 'abc123', agent: 'local', message: 'uptime' });
    expect(renderQueued(job)).toMatchObject({ text: 'Job abc123 queued for local: uptime', status: 'queued', jobId: 'abc123', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'abc123' }] });
    expect(renderRunning(job)).toMatchObject({ text: 'Job abc123 running on local: uptime', status: 'running' });
  });

  it('renders a result with exit code, duration and output as code', () => {
    const job = testJob({ id: 'abc123', agent: 'local', message: 'uptime', state: 'succeeded', exitCode: 0, runningAt: ago(1_200), finishedAt: now, output: 'up 3 days\n' });
    const message = renderResult(job, null, now);
    expect(message.text).toBe('Job abc123 on local succeeded (exit 0, 1.2 s): uptime');
    expect(message.status).toBe('succeeded');
    expect(message.code).toEqual({ content: 'up 3 days\n', filename: 'abc123.txt' });
    expect(message.fields).toEqual(expect.arrayContaining([{ label: 'Exit code', value: '0' }, { label: 'Duration', value: '1.2 s' }]));
  });

  it('says when there was no output, and when output was cut', () => {
    const failed = testJob({ id: 'f1', agent: 'local', state: 'failed', exitCode: 2, runningAt: ago(300), finishedAt: now, reason: 'no handler for "foo"' });
    expect(renderResult(failed, null, now).text).toBe('Job f1 on local failed (exit 2, 300 ms): uptime — no handler for "foo" (no output)');
    const cut = testJob({ id: 'c1', agent: 'local', state: 'succeeded', exitCode: 0, output: 'x', outputTruncated: true });
    expect(renderResult(cut, null, now).text).toContain('longer than the server keeps');
  });

  it('explains expiry reasons in words', () => {
    const offline = testJob({ id: 'e1', agent: 'local', state: 'expired', reason: 'agent-offline' });
    expect(renderResult(offline, testAgent('local', { status: 'offline', lastSeenAt: ago(5 * 60_000) }), now).text).toBe('Job e1 for local expired: local is offline (last seen 5 min ago). (uptime)');
    expect(renderResult(offline, null, now).text).toContain('local is offline (last seen never)');
    const timeout = testJob({ id: 'e2', agent: 'local', state: 'expired', reason: 'timeout', timeoutMs: 600_000 });
    expect(renderResult(timeout, null, now).text).toBe('Job e2 for local expired: no result within the job timeout of 10 min. (uptime)');
    const cancelled = testJob({ id: 'x1', agent: 'local', state: 'cancelled', reason: 'cancelled by web:bob' });
    expect(renderResult(cancelled, null, now).text).toBe('Job x1 on local was cancelled by web:bob: uptime');
  });

  it('measures size against the platform limit, code included', () => {
    const job = testJob({ id: 'a', agent: 'local', state: 'succeeded', exitCode: 0, output: 'x'.repeat(500) });
    const message = renderResult(job, null, now);
    expect(fitsInOneMessage(message, caps(10_000))).toBe(true);
    expect(fitsInOneMessage(message, caps(500))).toBe(false);
    const summary = withoutOutput(message, 'The output is attached below.');
    expect(summary.code).toBeUndefined();
    expect(summary.text).toMatch(/attached below\.$/);
    expect(renderOutputPiece(job, 'xx', 2, 3)).toMatchObject({ text: 'Output of job a (2/3)', code: { content: 'xx' } });
  });
});
