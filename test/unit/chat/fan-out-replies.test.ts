import { describe, expect, it } from 'vitest';
import { createReplyRouter } from '../../../src/chat/reply-router.js';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { silentLogger, type ChatAdapter, type FanOutPlan, type ThreadRef } from '../../../src/core/index.js';
import { FakeChatAdapter } from '../../helpers/fake-chat-adapter.js';
import { manualClock } from '../../helpers/manual-clock.js';
import { MemoryJobsApi } from '../../helpers/memory-jobs-api.js';
import { MemoryReplyStore } from '../../helpers/memory-reply-store.js';

const THREAD: ThreadRef = { platform: 'web', conversationId: 'alice/conv', threadId: 't1' };

function setup(edit: boolean) {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const jobs = new MemoryJobsApi(clock);
  const adapter = new FakeChatAdapter({ platform: 'web', capabilities: { edit, maxTextLength: 4000 } });
  const router = createReplyRouter({ owner: 'node-1', claimTtlMs: 60_000 }, { bus: createInProcessBus(), jobs, replies: new MemoryReplyStore(), adapters: new Map<string, ChatAdapter>([['web', adapter]]), clock, logger: silentLogger });
  const plan: FanOutPlan = { selector: 'role=web', concurrency: 2, maxFailures: 0, targets: ['web-1', 'web-2', 'web-3'], skipped: [{ agent: 'web-5', why: 'offline' }], started: 2, stopped: null, reported: 0 };
  const parent = jobs.addJob({ agent: '(role=web)', message: 'uptime', thread: THREAD, state: 'running', fanout: plan });
  const child = (agent: string) => jobs.addJob({ agent, message: 'uptime', thread: null, parentId: parent.id, state: 'queuing' });
  return { jobs, adapter, router, parent, plan, child };
}

describe('fan-out replies', () => {
  it('posts one message when the fan-out starts, edits it as children finish, and ends with the summary', async () => {
    const { jobs, adapter, router, parent, plan, child } = setup(true);
    const one = child('web-1');
    const two = child('web-2');
    await router.handle('web', jobs.eventOf(jobs.jobs.get(parent.id)!, null));
    expect(adapter.messages.map((m) => m.text)).toEqual([
      `Fan-out ${parent.id} (role=web): 0/3 done — 0 succeeded, 0 failed, 0 expired; running: web-1, web-2 (1 waiting, at most 2 at once). Skipped: web-5 (offline, skipped). Say "status ${parent.id}" for each agent's result, "status <job>" for one agent's output.`,
    ]);
    // A child's own events have no thread: no reply of their own.
    await router.handle('web', jobs.move(one.id, 'succeeded', { exitCode: 0 }));
    const three = child('web-3');
    await router.handle('web', jobs.move(parent.id, 'running', { fanout: { ...plan, started: 3, reported: 1 } }));
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.text).toMatch(/^Fan-out \w+ \(role=web\): 1\/3 done — 1 succeeded, 0 failed, 0 expired; running: web-2, web-3\. Skipped/);
    expect(adapter.messages[0]!.edited).toBe(true);
    jobs.move(two.id, 'failed', { exitCode: 2 });
    jobs.move(three.id, 'expired', { reason: 'timeout' });
    await router.handle('web', jobs.move(parent.id, 'failed', { output: 'summary' }));
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.text).toMatch(/^Fan-out \w+ \(role=web\) failed: 3\/3 done — 1 succeeded, 1 failed, 1 expired\. Failed or expired: web-2, web-3\. Skipped: web-5 \(offline, skipped\)\./);
    // A late progress event after the end changes nothing.
    await router.handle('web', { ...jobs.eventOf(jobs.jobs.get(parent.id)!, 'running'), payload: { ...jobs.eventOf(jobs.jobs.get(parent.id)!, 'running').payload, to: 'running', version: 99 } });
    expect(adapter.messages[0]!.text).toMatch(/failed: 3\/3 done/);
  });

  it('where messages cannot be edited, posts at the start and at the end only', async () => {
    const { jobs, adapter, router, parent, plan, child } = setup(false);
    const one = child('web-1');
    child('web-2');
    await router.handle('web', jobs.eventOf(jobs.jobs.get(parent.id)!, null));
    for (let i = 1; i <= 3; i++) await router.handle('web', jobs.move(parent.id, 'running', { fanout: { ...plan, reported: i } }));
    jobs.move(one.id, 'succeeded', { exitCode: 0 });
    await router.handle('web', jobs.move(parent.id, 'cancelled', { reason: 'cancelled by web:alice' }));
    expect(adapter.messages.map((m) => m.text.split(':')[0])).toEqual([`Fan-out ${parent.id} (role=web)`, `Fan-out ${parent.id} (role=web) was cancelled`]);
    expect(adapter.calls.every((c) => c.op === 'send')).toBe(true);
  });
});
