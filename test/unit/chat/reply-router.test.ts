import { AdapterError } from '../../../src/core/errors.js';
import { describe, expect, it } from 'vitest';
import { ReplyDeferredError, createReplyRouter, replyKeyFor, type ReplyRouter } from '../../../src/chat/reply-router.js';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { silentLogger, type ChatAdapter, type EventBus, type Job, type ThreadRef } from '../../../src/core/index.js';
import { FakeChatAdapter, type FakeChatAdapterOptions } from '../../helpers/fake-chat-adapter.js';
import { manualClock } from '../../helpers/manual-clock.js';
import { MemoryJobsApi } from '../../helpers/memory-jobs-api.js';
import { MemoryReplyStore } from '../../helpers/memory-reply-store.js';

const THREAD: ThreadRef = { platform: 'web', conversationId: 'alice/conv', threadId: 't1' };

function setup(adapterOptions: FakeChatAdapterOptions = {}, routers = 1) {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const jobs = new MemoryJobsApi(clock);
  jobs.addAgent('local');
  const replies = new MemoryReplyStore();
  const adapter = new FakeChatAdapter({ platform: 'web', ...adapterOptions });
  const bus: EventBus = createInProcessBus();
  const adapters = new Map<string, ChatAdapter>([['web', adapter]]);
  const make = (owner: string): ReplyRouter => createReplyRouter({ owner, claimTtlMs: 60_000 }, { bus, jobs, replies, adapters, clock, logger: silentLogger });
  const all = Array.from({ length: routers }, (_, i) => make(`node-${i + 1}`));
  const newJob = (over: Partial<Job> = {}) => {
    const job = jobs.addJob({ agent: 'local', message: 'uptime', thread: THREAD, ...over });
    return { job, created: jobs.eventOf(job, null) };
  };
  return { clock, jobs, replies, adapter, bus, routers: all, router: all[0]!, newJob };
}

describe('replyKeyFor', () => {
  it('maps transitions to replies and ignores sent and redeliveries', () => {
    const p = { jobId: 'j', agent: 'a', reason: null, at: '', version: 1, attempt: 1, platform: 'web' };
    expect(replyKeyFor({ ...p, from: null, to: 'queuing' })).toBe('queued');
    expect(replyKeyFor({ ...p, from: 'queuing', to: 'sent' })).toBeNull();
    expect(replyKeyFor({ ...p, from: 'sent', to: 'queuing' })).toBeNull();
    expect(replyKeyFor({ ...p, from: 'sent', to: 'running' })).toBe('running');
    for (const to of ['succeeded', 'failed', 'expired', 'cancelled'] as const) expect(replyKeyFor({ ...p, from: 'running', to })).toBe('result');
    expect(replyKeyFor({ ...p, from: null, to: 'expired' })).toBe('result');
  });
});

describe('reply router', () => {
  it('acknowledges, then edits the one status message to running and to the result', async () => {
    const { jobs, adapter, router, newJob, clock } = setup();
    const { job, created } = newJob();
    await router.handle('web', created);
    expect(adapter.messages.map((m) => m.text)).toEqual([`Job ${job.id} queued for local: uptime`]);
    await router.handle('web', jobs.move(job.id, 'sent'));
    await router.handle('web', jobs.move(job.id, 'running'));
    expect(adapter.messages[0]).toMatchObject({ text: `Job ${job.id} running on local: uptime`, edited: true });
    clock.advance(1_500);
    await router.handle('web', jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'up 3 days' }));
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.text).toBe(`Job ${job.id} on local succeeded (exit 0, 1.5 s): uptime\n\`\`\`\nup 3 days\n\`\`\``);
    expect(adapter.messages[0]).toMatchObject({ conversationId: 'alice/conv', threadId: 't1' });
  });

  it('after a restart, sends at once a reply its previous run had claimed but not sent', async () => {
    const { jobs, replies, adapter, bus, clock, newJob } = setup();
    const { job } = newJob();
    const done = jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'ok' });
    // The previous run of node-1 claimed the result and died before sending it; another node holds a claim too.
    expect(await replies.claim(job.id, 'result', 'node-1/dead', clock.now(), new Date(clock.now().getTime() + 60_000))).toBe(true);
    expect(await replies.claim(job.id, 'result#1', 'node-10/alive', clock.now(), new Date(clock.now().getTime() + 60_000))).toBe(true);
    const restarted = createReplyRouter({ owner: 'node-1/new', restartedOwnerPrefix: 'node-1/', claimTtlMs: 60_000 }, { bus, jobs, replies, adapters: new Map([['web', adapter]]), clock, logger: silentLogger });
    await restarted.start();
    await restarted.handle('web', done);
    expect(adapter.messages.map((m) => m.text.split('\n')[0])).toEqual([`Job ${job.id} on local succeeded (exit 0, 0 ms): uptime`]);
    expect(await replies.get(job.id, 'result')).toMatchObject({ state: 'sent', owner: 'node-1/new' });
    expect(await replies.get(job.id, 'result#1')).toMatchObject({ state: 'claimed', owner: 'node-10/alive' });
    await restarted.stop();
  });

  it('sends acknowledgement and result as two messages where the platform cannot edit', async () => {
    const { jobs, adapter, router, newJob } = setup({ capabilities: { edit: false } });
    const { job, created } = newJob();
    await router.handle('web', created);
    await router.handle('web', jobs.move(job.id, 'sent'));
    await router.handle('web', jobs.move(job.id, 'running'));
    await router.handle('web', jobs.move(job.id, 'failed', { exitCode: 3, output: 'bad' }));
    expect(adapter.messages.map((m) => m.text.split('\n')[0])).toEqual([`Job ${job.id} queued for local: uptime`, `Job ${job.id} on local failed (exit 3, 0 ms): uptime`]);
    expect(adapter.calls.every((c) => c.op === 'send')).toBe(true);
  });

  it('ignores redeliveries to the queue and repeated events', async () => {
    const { jobs, adapter, router, newJob } = setup();
    const { job, created } = newJob();
    await router.handle('web', created);
    await router.handle('web', created);
    await router.handle('web', jobs.move(job.id, 'sent'));
    await router.handle('web', jobs.move(job.id, 'queuing', { reason: 'ack-timeout', attempt: 2 }));
    expect(adapter.calls).toHaveLength(1);
  });

  it('explains an expiry at creation (agent offline) in words', async () => {
    const { jobs, adapter, router, clock } = setup();
    jobs.addAgent('local', { status: 'offline', lastSeenAt: new Date(clock.now().getTime() - 5 * 60_000) });
    const { job } = await jobs.submit({ agent: 'local', message: 'uptime', requester: { identity: 'web:alice' }, thread: THREAD });
    await router.handle('web', jobs.eventOf(job, null));
    expect(adapter.messages.map((m) => m.text)).toEqual([`Job ${job.id} for local expired: local is offline (last seen 5 min ago). (uptime)`]);
  });

  it('sends the result as a new message when it is handled before the acknowledgement, and no stale ack after', async () => {
    const { jobs, adapter, router, newJob } = setup();
    const { job, created } = newJob();
    jobs.move(job.id, 'sent');
    jobs.move(job.id, 'running');
    const done = jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'ok' });
    await router.handle('web', done);
    await router.handle('web', created);
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.text).toContain('succeeded');
  });

  it('does not send a late acknowledgement once the result is claimed', async () => {
    const { adapter, router, replies, newJob, clock } = setup();
    const { job, created } = newJob();
    // Another process is sending the result right now, but the job row still says queuing.
    await replies.claim(job.id, 'result', 'other', clock.now(), new Date(clock.now().getTime() + 60_000));
    await router.handle('web', created);
    expect(adapter.messages).toHaveLength(0);
    expect(await replies.get(job.id, 'queued')).toMatchObject({ state: 'sent', messageId: null });
  });

  it('defers the result while the acknowledgement is in flight elsewhere, then edits it in place', async () => {
    const { jobs, adapter, router, replies, newJob, clock } = setup();
    const { job } = newJob();
    await replies.claim(job.id, 'queued', 'other', clock.now(), new Date(clock.now().getTime() + 60_000));
    const done = jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'ok' });
    await expect(router.handle('web', done)).rejects.toBeInstanceOf(ReplyDeferredError);
    expect(await replies.get(job.id, 'result')).toBeNull();
    // The other process sends the acknowledgement; the redelivered result then edits it.
    const { messageId } = await adapter.send(THREAD, { text: 'Job queued' });
    await replies.markSent(job.id, 'queued', 'other', messageId, clock.now());
    await router.handle('web', done);
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]).toMatchObject({ messageId, edited: true });
    expect(adapter.messages[0]!.text).toContain('succeeded');
  });

  it('takes over a claim whose owner died (claim expired)', async () => {
    const { adapter, router, replies, newJob, clock } = setup();
    const { job, created } = newJob();
    await replies.claim(job.id, 'queued', 'dead-node', clock.now(), new Date(clock.now().getTime() + 60_000));
    await expect(router.handle('web', created)).rejects.toBeInstanceOf(ReplyDeferredError);
    clock.advance(61_000);
    await router.handle('web', created);
    expect(adapter.messages).toHaveLength(1);
  });

  it('sends each (job, key) once with two routers racing on one ReplyStore', async () => {
    const { jobs, adapter, routers, newJob, replies } = setup({}, 2);
    const [one, two] = routers as [ReplyRouter, ReplyRouter];
    type StatusEvent = Parameters<ReplyRouter['handle']>[1];
    let deferred = 0;
    /** Handles like a consumer of the bus: a deferred reply is retried (redelivered) until it settles. */
    const consume = async (router: ReplyRouter, event: StatusEvent): Promise<void> => {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          return await router.handle('web', event);
        } catch (err) {
          expect(err).toBeInstanceOf(ReplyDeferredError);
          deferred++;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      throw new Error('never settled');
    };
    const both = (event: StatusEvent) => Promise.all([consume(one, event), consume(two, event)]);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const { job, created } = newJob({ message: `echo ${i}` });
      ids.push(job.id);
      if (i % 3 === 0) {
        // In order, each event redelivered to both processes at once.
        await both(created);
        await both(jobs.move(job.id, 'sent'));
        await both(jobs.move(job.id, 'running'));
        await both(jobs.move(job.id, 'succeeded', { exitCode: 0, output: `out ${i}` }));
      } else {
        // Out of order across processes: one acknowledges while the other handles later events.
        jobs.move(job.id, 'sent');
        const running = jobs.move(job.id, 'running');
        await Promise.all([
          consume(i % 2 ? one : two, created),
          consume(i % 2 ? two : one, running),
          (async () => {
            await Promise.resolve();
            const done = jobs.move(job.id, 'succeeded', { exitCode: 0, output: `out ${i}` });
            await both(done);
          })(),
        ]);
        await both(created); // a late redelivery changes nothing
      }
    }
    for (const [i, id] of ids.entries()) {
      const mine = adapter.messages.filter((m) => m.source.jobId === id);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.text).toContain(`succeeded (exit 0, 0 ms): echo ${i}`);
      const records = await replies.list(id);
      expect(records.every((r) => r.state === 'sent')).toBe(true);
    }
    // Contention really happened, and every reply was claimed before it was sent.
    expect(deferred).toBeGreaterThan(0);
    expect(replies.claims.length).toBeGreaterThan(ids.length * 2);
  });

  it('sends long output as a file where the platform takes files, keeping the status message', async () => {
    const { jobs, adapter, router, newJob } = setup({ capabilities: { maxTextLength: 500, files: true } });
    const output = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const { job, created } = newJob();
    await router.handle('web', created);
    await router.handle('web', jobs.move(job.id, 'succeeded', { exitCode: 0, output }));
    expect(adapter.messages).toHaveLength(2);
    expect(adapter.messages[0]).toMatchObject({ edited: true });
    expect(adapter.messages[0]!.text).toContain('The output is attached below.');
    expect(adapter.messages[1]!.file).toEqual({ name: `${job.id}.txt`, content: output });
  });

  it('sends long output as one message with a file when there is no status message', async () => {
    const { jobs, adapter, router, newJob } = setup({ capabilities: { maxTextLength: 500, files: true, edit: false } });
    const output = 'x'.repeat(2_000);
    const { job } = newJob();
    await router.handle('web', jobs.move(job.id, 'succeeded', { exitCode: 0, output }));
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.file?.content).toBe(output);
  });

  it('splits long output into ordered messages where the platform takes no files, never cutting', async () => {
    const { jobs, adapter, router, newJob } = setup({ capabilities: { maxTextLength: 300, files: false } });
    const output = Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(3, '0')} 日本語 👍🏽`).join('\n');
    const { job, created } = newJob();
    await router.handle('web', created);
    await router.handle('web', jobs.move(job.id, 'succeeded', { exitCode: 0, output }));
    const [status, ...pieces] = adapter.messages;
    expect(status!.text).toMatch(/The output follows in \d+ messages\.$/);
    expect(pieces.length).toBeGreaterThan(3);
    for (const [i, piece] of pieces.entries()) {
      expect(piece.text.length).toBeLessThanOrEqual(300);
      expect(piece.text.startsWith(`Output of job ${job.id} (${i + 1}/${pieces.length})`)).toBe(true);
    }
    expect(pieces.map((p) => p.source.code!.content).join('')).toBe(output);
  });

  it('releases the claim when sending fails, so the redelivery retries it', async () => {
    const { adapter, router, replies, newJob } = setup();
    const { job, created } = newJob();
    adapter.failNext(1);
    await expect(router.handle('web', created)).rejects.toThrow('platform unavailable');
    expect(await replies.get(job.id, 'queued')).toBeNull();
    await router.handle('web', created);
    expect(adapter.messages).toHaveLength(1);
    expect(await replies.get(job.id, 'queued')).toMatchObject({ state: 'sent', messageId: adapter.messages[0]!.messageId });
  });

  it('records a reply the platform refuses for good instead of retrying it forever', async () => {
    const { adapter, router, replies, newJob } = setup();
    const { job, created } = newJob();
    const original = adapter.send.bind(adapter);
    adapter.send = async () => {
      throw new AdapterError('web', 'the bot was removed from this conversation', undefined, true);
    };
    await router.handle('web', created);
    expect(await replies.get(job.id, 'queued')).toMatchObject({ state: 'sent', messageId: null });
    adapter.send = original;
    await router.handle('web', created);
    expect(adapter.messages).toHaveLength(0);
  });

  it('resumes split output after a failure half-way, without repeating pieces', async () => {
    const { jobs, adapter, router, newJob } = setup({ capabilities: { maxTextLength: 200, files: false, edit: false } });
    const output = Array.from({ length: 40 }, (_, i) => `row ${i}`).join('\n');
    const { job } = newJob();
    const done = jobs.move(job.id, 'succeeded', { exitCode: 0, output });
    const original = adapter.send.bind(adapter);
    let calls = 0;
    adapter.send = async (thread, message) => {
      calls += 1;
      if (calls === 3) throw new Error('network blip');
      return original(thread, message);
    };
    await expect(router.handle('web', done)).rejects.toThrow('network blip');
    await router.handle('web', done);
    await router.handle('web', done);
    const texts = adapter.messages.map((m) => m.source.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(adapter.messages.slice(1).map((m) => m.source.code!.content).join('')).toBe(output);
  });

  it('falls back to a new message when the status message cannot be edited', async () => {
    const { jobs, adapter, router, newJob } = setup();
    const { job, created } = newJob();
    await router.handle('web', created);
    adapter.messages.splice(0); // deleted on the platform
    await router.handle('web', jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'ok' }));
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]!.text).toContain('succeeded');
  });

  it('retries the edit, never a second message, while the platform fails transiently', async () => {
    const { jobs, adapter, router, newJob } = setup();
    const { job, created } = newJob();
    await router.handle('web', created);
    adapter.failNext(1); // a 503 or a timeout: the edit may or may not have landed
    const result = jobs.move(job.id, 'succeeded', { exitCode: 0, output: 'ok' });
    await expect(router.handle('web', result)).rejects.toBeInstanceOf(AdapterError);
    await router.handle('web', result);
    expect(adapter.messages).toHaveLength(1);
    expect(adapter.messages[0]).toMatchObject({ edited: true });
    expect(adapter.messages[0]!.text).toContain('succeeded');
  });

  it('subscribes one group per platform on the bus and ignores other platforms and thread-less jobs', async () => {
    const { jobs, adapter, router, bus, newJob } = setup();
    await router.start();
    const { job, created } = newJob();
    await bus.publish('EventJobStatus', created.payload, created.id);
    const slack = jobs.addJob({ agent: 'local', thread: { platform: 'slack', conversationId: 'C1' } });
    await bus.publish('EventJobStatus', jobs.eventOf(slack, null).payload, 'e-slack');
    const api = jobs.addJob({ agent: 'local', thread: null });
    await bus.publish('EventJobStatus', jobs.eventOf(api, null).payload, 'e-api');
    expect(adapter.messages.map((m) => m.source.jobId)).toEqual([job.id]);
    await router.stop();
    await bus.close();
  });

  it('cannot start for a platform without an adapter', async () => {
    const { bus, jobs, replies } = setup();
    const router = createReplyRouter({ owner: 'n', platforms: ['teams'] }, { bus, jobs, replies, adapters: new Map(), clock: manualClock(), logger: silentLogger });
    await expect(router.start()).rejects.toThrow('no adapter for platform teams');
  });
});
