import { describe, expect, it } from 'vitest';
import { createDispatcher, type DispatcherDeps } from '../../../src/chat/dispatcher.js';
import { SkadiError, silentLogger, type EventMessagePayload, type OutboundMessage, type ThreadRef } from '../../../src/core/index.js';
import { chatFixture } from '../../helpers/chat-fixture.js';
import { MemoryKeyValueStore } from '../../helpers/memory-kv.js';

function setup(over: Partial<DispatcherDeps> = {}) {
  const f = chatFixture();
  f.jobs.addAgent('local');
  f.jobs.addAgent('db-1');
  f.jobs.addAgent('web-1');
  const kv = new MemoryKeyValueStore(f.clock);
  const replies: Array<{ thread: ThreadRef; message: OutboundMessage }> = [];
  const published: EventMessagePayload[] = [];
  const deps: DispatcherDeps = {
    jobs: f.jobs,
    commands: f.registry,
    access: f.access,
    audit: f.audit,
    kv,
    publish: async (payload) => {
      published.push(payload);
    },
    reply: async (thread, message) => {
      replies.push({ thread, message });
    },
    clock: f.clock,
    logger: silentLogger,
    ...over,
  };
  const dispatch = createDispatcher({}, deps);
  /** Dispatches and waits for the replies it started. */
  const send = async (...args: Parameters<typeof f.message>) => {
    const message = f.message(...args);
    await dispatch(message);
    await dispatch.drain();
    return message;
  };
  return { f, kv, replies, published, dispatch, send, texts: () => replies.map((r) => r.message.text) };
}

describe('dispatcher', () => {
  it('submits a job with the requester identity and the message ThreadRef, and sends no reply itself', async () => {
    const { f, replies, published, send } = setup();
    const message = await send('local echo "a  b" 你好 👋', 'bob');
    expect(f.jobs.submitted).toEqual([
      {
        agent: 'local',
        message: 'echo "a  b" 你好 👋',
        requester: { identity: 'web:bob', displayName: 'bob' },
        thread: message.thread,
        // One job per chat message, whichever delivery of it is handled.
        idempotency: { scope: 'chat:web', key: message.id, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    ]);
    // The acknowledgement is the reply router's job.
    expect(replies).toEqual([]);
    const job = [...f.jobs.jobs.values()][0]!;
    expect(published).toEqual([{ message: expect.objectContaining({ id: message.id, text: message.text, receivedAt: message.receivedAt.toISOString() }), jobId: job.id, command: null }]);
    expect(published[0]!.message).not.toHaveProperty('raw');
    expect(f.audit.entries.map((e) => [e.action, e.decision])).toEqual([['access.decide', 'allow'], ['job.submit', 'info']]);
  });

  it('resolves once the job is accepted, without waiting for replies', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { f, dispatch } = setup({ reply: () => gate });
    await dispatch(f.message('help', 'bob'));
    await dispatch(f.message('local uptime', 'bob'));
    expect(f.jobs.submitted).toHaveLength(1);
    release();
    await dispatch.drain();
  });

  it('drops a platform retry of the same message id, across dispatcher instances sharing the store', async () => {
    const { f, kv, replies, dispatch } = setup();
    const message = f.message('local uptime', 'bob');
    await dispatch(message);
    await dispatch({ ...message });
    const other = createDispatcher({}, { jobs: f.jobs, commands: f.registry, access: f.access, audit: f.audit, kv, publish: async () => {}, reply: async () => {}, clock: f.clock, logger: silentLogger });
    await other({ ...message });
    expect(f.jobs.submitted).toHaveLength(1);
    expect([...kv.entries.keys()]).toEqual([`inbound:web:${message.id}`]);
    expect(kv.entries.get(`inbound:web:${message.id}`)!.expiresAt!.getTime() - f.clock.now().getTime()).toBe(24 * 3_600_000);
    // The same id on another platform is another message.
    await dispatch({ ...message, platform: 'slack' });
    expect(f.jobs.submitted).toHaveLength(2);
    expect(replies).toHaveLength(0);
  });

  it('ignores bots (flagged, or listed in botIdentities) and messages not addressed to it', async () => {
    const { f, dispatch, published, kv } = setup({ botIdentities: ['web:skadi'] });
    await dispatch(f.message('local uptime', 'bob', { sender: { id: 'b', identity: 'web:b', displayName: 'b', isBot: true } }));
    await dispatch(f.message('local uptime', 'skadi'));
    await dispatch(f.message('local uptime', 'bob', { mentionsBot: false }));
    await dispatch.drain();
    expect(f.jobs.submitted).toHaveLength(0);
    expect(published).toHaveLength(0);
    expect(kv.entries.size).toBe(0);
  });

  it('answers built-in commands in the thread and publishes the command name', async () => {
    const { replies, published, send } = setup();
    const message = await send('help', 'bob');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.thread).toEqual(message.thread);
    expect(replies[0]!.message.text).toContain('Agents you may use: local');
    expect(published[0]).toMatchObject({ jobId: null, command: 'help' });
  });

  it('resolves aliases and replies with usage for bad arguments', async () => {
    const { texts, send } = setup();
    await send('ps', 'bob');
    await send('status', 'bob');
    await send('status a b', 'bob');
    expect(texts()[0]).toBe('No jobs yet.');
    expect(texts()[1]).toBe('status needs job (the job id from the acknowledgement). Usage: status <job>');
    expect(texts()[2]).toContain('put quotes around words that belong together');
  });

  it('refuses with what is missing, and audits the denial', async () => {
    const { f, replies, texts, send } = setup();
    await send('db-1 uptime', 'bob');
    await send('cancel abc', 'bob');
    expect(texts()).toEqual([
      'Sorry, you may not run jobs on db-1; ask an admin to add web:bob to a rule for agent db-1.',
      'Sorry, you may not use the cancel command; ask an admin to add web:bob to a rule for command cancel (or permission jobs:cancel).',
    ]);
    expect(replies.every((r) => r.message.status === 'refused')).toBe(true);
    expect(f.jobs.submitted).toHaveLength(0);
    expect(f.audit.entries.map((e) => [e.actor, e.decision, e.target])).toEqual([
      ['web:bob', 'deny', 'agent:db-1'],
      ['web:bob', 'deny', 'command:cancel permission:jobs:cancel'],
    ]);
  });

  it('suggests the closest agent names the user may use for an unknown agent', async () => {
    const { f, texts, send } = setup();
    await send('lcoal uptime', 'bob');
    await send('web-2 uptime', 'alice');
    await send('web-2 uptime', 'bob');
    await send('stauts abc', 'alice');
    await send('你好 世界', 'alice');
    expect(texts()[0]).toBe('I know no agent or command called "lcoal". Did you mean "local"? Say "agents" to list the agents you may use, or "help".');
    expect(texts()[1]).toContain('Did you mean "web-1"?');
    // bob may not use web-1: no hint about it.
    expect(texts()[2]).not.toContain('web-1');
    expect(texts()[3]).toContain('Did you mean "status"?');
    expect(texts()[4]).toContain('called "你好"');
    expect(f.jobs.submitted).toHaveLength(0);
  });

  it('replies with a parse error for an unterminated quote and for over-long input', async () => {
    const { f, texts, send } = setup();
    await send('status "abc', 'alice');
    await send(`local echo ${'x'.repeat(5_000)}`, 'alice');
    expect(texts()[0]).toContain('is never closed');
    expect(texts()[1]).toContain('I take at most 4000');
    expect(f.jobs.submitted).toHaveLength(0);
  });

  it('answers an empty mention and an agent without a message with a hint', async () => {
    const { texts, send } = setup();
    await send('', 'alice');
    await send('local', 'alice');
    expect(texts()[0]).toContain('Say "help"');
    expect(texts()[1]).toBe('What should local run? Put it after the name, for example "local uptime".');
  });

  it('turns service errors into a sentence instead of throwing to the adapter', async () => {
    const { f, texts, send } = setup();
    f.jobs.addAgent('gone', { revokedAt: new Date() });
    await send('gone uptime', 'alice');
    const broken = setup();
    broken.f.jobs.submit = async () => {
      throw new SkadiError('SKADI_UNAVAILABLE', 'database unreachable');
    };
    await broken.send('local uptime', 'alice');
    const crashing = setup();
    crashing.f.jobs.listAgents = async () => {
      throw new TypeError('boom');
    };
    await crashing.send('help', 'alice');
    expect(texts()[0]).toContain('was revoked');
    expect(broken.texts()[0]).toBe('I cannot reach my database or message bus right now; try again in a minute.');
    expect(crashing.texts()[0]).toMatch(/^Something went wrong on my side; .* \(reference [a-z0-9]{6}\)\.$/);
    expect(crashing.texts()[0]).not.toContain('boom');
  });

  it('does not fail the message when publishing EventMessage fails or a reply fails', async () => {
    const { f, dispatch } = setup({
      publish: async () => {
        throw new Error('bus down');
      },
      reply: async () => {
        throw new Error('platform down');
      },
    });
    await expect(dispatch(f.message('local uptime', 'bob'))).resolves.toBeUndefined();
    await expect(dispatch(f.message('help', 'bob'))).resolves.toBeUndefined();
    await dispatch.drain();
    expect(f.jobs.submitted).toHaveLength(1);
  });

  it('asks a retry that comes while the first delivery is still being handled to come back later', async () => {
    let release!: () => void;
    const { f, dispatch } = setup();
    const submit = f.jobs.submit.bind(f.jobs);
    f.jobs.submit = async (input) => {
      await new Promise<void>((resolve) => (release = resolve));
      return submit(input);
    };
    const message = f.message('local uptime', 'bob');
    const first = dispatch(message);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(dispatch({ ...message })).rejects.toMatchObject({ code: 'SKADI_UNAVAILABLE' });
    release();
    await first;
    // Once handled, a retry is a plain duplicate.
    await expect(dispatch({ ...message })).resolves.toBeUndefined();
    expect(f.jobs.jobs.size).toBe(1);
  });

  it('handles the retry of a message whose process died half-way once the lease ran out, making its job once', async () => {
    const { f, kv, dispatch } = setup();
    const message = f.message('local uptime', 'bob');
    // The dead process took the message and stored its job, then died before recording it as handled.
    await kv.setIfAbsent(`inbound:web:${message.id}`, { state: 'handling', at: f.clock.now().toISOString() }, new Date(f.clock.now().getTime() + 10_000));
    const dead = createDispatcher({}, { jobs: f.jobs, commands: f.registry, access: f.access, audit: f.audit, kv: new MemoryKeyValueStore(f.clock), publish: async () => {}, reply: async () => {}, clock: f.clock, logger: silentLogger });
    await dead({ ...message });
    expect(f.jobs.jobs.size).toBe(1);
    // Within the lease the retry is asked to come back; after it, it is handled and finds that job.
    await expect(dispatch({ ...message })).rejects.toMatchObject({ code: 'SKADI_UNAVAILABLE' });
    f.clock.advance(10_001);
    await dispatch({ ...message });
    await dispatch.drain();
    expect(f.jobs.jobs.size).toBe(1);
    expect(await kv.get(`inbound:web:${message.id}`)).toMatchObject({ state: 'done', jobId: [...f.jobs.jobs.keys()][0] });
  });

  it('throws to the adapter when it cannot de-duplicate (store down), so the platform retries', async () => {
    const { f, dispatch, kv } = setup();
    kv.setIfAbsent = async () => {
      throw new SkadiError('SKADI_UNAVAILABLE', 'db down');
    };
    await expect(dispatch(f.message('local uptime', 'bob'))).rejects.toThrow('db down');
    expect(f.jobs.submitted).toHaveLength(0);
  });

  it('reruns a job into the current thread', async () => {
    const { f, send, texts } = setup();
    const old = f.jobs.addJob({ agent: 'local', message: 'uptime', state: 'failed' });
    const message = await send(`rerun ${old.id}`, 'carol');
    expect(f.jobs.submitted.at(-1)).toMatchObject({ agent: 'local', message: 'uptime', thread: message.thread, parentId: old.id });
    expect(texts()[0]).toContain(`Running job ${old.id} again`);
  });
});
