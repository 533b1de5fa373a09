import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/chat/dispatcher.js';
import { parseCommand } from '../../../src/chat/parse-command.js';
import { parseSelector, selectorMatches, silentLogger } from '../../../src/core/index.js';
import type { Agent, FanOutApi, FanOutJob, FanOutSkip, OutboundMessage, SubmitFanOutInput } from '../../../src/core/index.js';
import { chatFixture } from '../../helpers/chat-fixture.js';
import { MemoryKeyValueStore } from '../../helpers/memory-kv.js';

const COMMANDS = new Set(['help', 'agents', 'status', 'jobs', 'cancel', 'rerun']);
const parse = (text: string) => parseCommand(text, { isCommand: (w) => COMMANDS.has(w) });

describe('parser: <selector> [options] <message…>', () => {
  it('reads selectors with operators, globs, lists with spaces, negation; the message is the rest as typed', () => {
    expect(parse('role=web uptime')).toEqual({ kind: 'fanout', selector: 'role=web', message: 'uptime' });
    expect(parse('role=web,region=eu df -h')).toEqual({ kind: 'fanout', selector: 'role=web,region=eu', message: 'df -h' });
    expect(parse('role in (web,api) uptime')).toEqual({ kind: 'fanout', selector: 'role in (web,api)', message: 'uptime' });
    expect(parse('role in (web, api)   echo  "a  b"')).toEqual({ kind: 'fanout', selector: 'role in (web, api)', message: 'echo  "a  b"' });
    expect(parse('role = web uptime')).toEqual({ kind: 'fanout', selector: 'role = web', message: 'uptime' });
    expect(parse('web-* uptime')).toEqual({ kind: 'fanout', selector: 'web-*', message: 'uptime' });
    expect(parse('!canary,role=web echo hi=there')).toEqual({ kind: 'fanout', selector: '!canary,role=web', message: 'echo hi=there' });
    expect(parse('role=web')).toEqual({ kind: 'fanout', selector: 'role=web', message: '' });
  });

  it('takes --concurrency (--batch) and --max-failures right after the selector, and -- ends them', () => {
    expect(parse('web-* --concurrency 2 --max-failures 1 df -h')).toEqual({ kind: 'fanout', selector: 'web-*', message: 'df -h', concurrency: 2, maxFailures: 1 });
    expect(parse('role=web --batch=3 uptime')).toEqual({ kind: 'fanout', selector: 'role=web', message: 'uptime', concurrency: 3 });
    expect(parse('role=web --max-failures 0 uptime')).toEqual({ kind: 'fanout', selector: 'role=web', message: 'uptime', maxFailures: 0 });
    expect(parse('role=web -- --concurrency 2')).toEqual({ kind: 'fanout', selector: 'role=web', message: '--concurrency 2' });
    // Options only count right after the selector: later they belong to the message.
    expect(parse('role=web deploy --concurrency 2')).toEqual({ kind: 'fanout', selector: 'role=web', message: 'deploy --concurrency 2' });
  });

  it('answers bad options and unreadable selectors with what to type', () => {
    for (const text of ['role=web --concurrency 0 uptime', 'role=web --concurrency x uptime', 'role=web --max-failures -1 uptime', 'role=web --concurrency', 'role=web --frobnicate 2 uptime']) {
      const parsed = parse(text);
      expect(parsed.kind, text).toBe('error');
      if (parsed.kind === 'error') {
        expect(parsed.error).toBe('bad-option');
        expect(parsed.message).toContain('--concurrency N');
        expect(parsed.message).toContain('--max-failures N');
        expect(parsed.message).toContain('role=web --concurrency 5 --max-failures 1 uptime');
      }
    }
    const bad = parse('role=(web uptime');
    expect(bad).toMatchObject({ kind: 'error', error: 'bad-selector' });
    if (bad.kind === 'error') expect(bad.message).toMatch(/role=web uptime/);
  });

  it('leaves <agent> <message> alone, also when the message looks like a selector', () => {
    expect(parse('web-1 uptime')).toEqual({ kind: 'agent', agent: 'web-1', message: 'uptime' });
    expect(parse('local echo a=b')).toEqual({ kind: 'agent', agent: 'local', message: 'echo a=b' });
    expect(parse('local echo role in (a,b)')).toEqual({ kind: 'agent', agent: 'local', message: 'echo role in (a,b)' });
    expect(parse('local echo hi!')).toEqual({ kind: 'agent', agent: 'local', message: 'echo hi!' });
    expect(parse('"role=web" uptime')).toMatchObject({ kind: 'agent' });
    expect(parse('status role=web')).toEqual({ kind: 'command', word: 'status', args: ['role=web'] });
  });
});

function fakeFanOut(agents: () => Agent[], online: (name: string) => boolean) {
  const calls: SubmitFanOutInput[] = [];
  const api: FanOutApi = {
    defaults: { concurrency: 10, maxFailures: 0 },
    children: async () => [],
    async submit(input) {
      calls.push(input);
      const selector = parseSelector(input.selector);
      const matched = agents().filter((a) => selectorMatches(selector, a));
      const targets: string[] = [];
      const skipped: FanOutSkip[] = [];
      for (const agent of matched) {
        const decision = await input.authorize(agent);
        if (!decision.allowed) skipped.push({ agent: agent.name, why: 'not-allowed', detail: decision.reason });
        else if (!online(agent.name)) skipped.push({ agent: agent.name, why: 'offline' });
        else targets.push(agent.name);
      }
      if (!targets.length) return { kind: 'no-targets', matched: matched.length, skipped };
      const job = { id: 'parent000001', fanout: { selector: input.selector, targets, skipped } } as unknown as FanOutJob;
      return { kind: 'created', job, created: true };
    },
  };
  return { api, calls };
}

function setup(options: { fanOut?: boolean } = {}) {
  const f = chatFixture();
  f.jobs.addAgent('local', { labels: { role: 'web' } });
  f.jobs.addAgent('web-1', { labels: { role: 'web' } });
  f.jobs.addAgent('web-2', { labels: { role: 'web' } });
  f.jobs.addAgent('db-1', { labels: { role: 'db' } });
  const offline = new Set(['web-2']);
  const fan = fakeFanOut(() => [...f.jobs.agents.values()], (name) => !offline.has(name));
  const replies: OutboundMessage[] = [];
  const dispatch = createDispatcher(
    {},
    {
      jobs: f.jobs,
      commands: f.registry,
      access: f.access,
      audit: f.audit,
      kv: new MemoryKeyValueStore(f.clock),
      publish: async () => {},
      reply: async (_thread, message) => {
        replies.push(message);
      },
      clock: f.clock,
      logger: silentLogger,
      ...(options.fanOut === false ? {} : { fanOut: fan.api }),
    },
  );
  const send = async (text: string, user?: string) => {
    const message = f.message(text, user);
    await dispatch(message);
    await dispatch.drain();
    return message;
  };
  return { f, fan, replies, send };
}

describe('dispatcher: fan-out', () => {
  it('submits a fan-out with the selector, options (or the defaults), thread and requester, and replies nothing itself', async () => {
    const { fan, replies, send } = setup();
    const message = await send('role=web --concurrency 2 uptime', 'alice');
    expect(fan.calls).toHaveLength(1);
    expect(fan.calls[0]).toMatchObject({ selector: 'role=web', message: 'uptime', concurrency: 2, maxFailures: 0, thread: message.thread, requester: { identity: 'web:alice' }, idempotency: { scope: 'chat:web', key: message.id } });
    // The aggregated reply comes from the reply router (the parent's events).
    expect(replies).toEqual([]);
    // A retry of the same message makes no second fan-out.
    const again = await send('role=web --concurrency 2 uptime', 'alice');
    expect(again.id).not.toBe(message.id);
    expect(fan.calls[1]!.idempotency!.key).toBe(again.id);
  });

  it('decides access per agent (audited): refused agents are listed as not allowed, offline ones as skipped', async () => {
    const { f, replies, send } = setup();
    // bob may use only `local` (TEST_ACCESS); web-1 is refused, web-2 offline and refused too.
    await send('role=web uptime', 'bob');
    const decisions = f.audit.entries.filter((e) => e.action === 'access.decide' && String(e.target).startsWith('agent:'));
    expect(decisions.map((e) => [e.target, e.decision])).toEqual([
      ['agent:local', 'allow'],
      ['agent:web-1', 'deny'],
      ['agent:web-2', 'deny'],
    ]);
    expect(replies).toEqual([]);
    // Dave may use web-* but not db-1 or local: only web-1 is online.
    await send('web-2,role=web uptime', 'dave');
    expect(replies.at(-1)!.text).toMatch(/Nothing was run: none of the 1 agent matching web-2,role=web can take it — web-2 \(offline, skipped\)/);
    await send('role=db uptime', 'bob');
    expect(replies.at(-1)).toMatchObject({ status: 'refused' });
    expect(replies.at(-1)!.text).toMatch(/db-1 \(not allowed\)/);
    expect(replies.at(-1)!.text).toMatch(/ask an admin/);
    await send('role=nothing uptime', 'alice');
    expect(replies.at(-1)!.text).toMatch(/No agent matches role=nothing, so nothing was run\. Say "agents role=nothing"/);
  });

  it('answers a bad option, a missing message, and a server without fan-out with what to type', async () => {
    const { fan, replies, send } = setup();
    await send('role=web --concurrency 0 uptime', 'alice');
    expect(replies.at(-1)).toMatchObject({ status: 'error' });
    expect(replies.at(-1)!.text).toMatch(/--concurrency needs a whole number of at least 1, not "0"/);
    await send('role=web', 'alice');
    expect(replies.at(-1)!.text).toMatch(/What should the agents matching role=web run\? .*"role=web uptime"/);
    expect(fan.calls).toHaveLength(0);
    const none = setup({ fanOut: false });
    await none.send('role=web uptime', 'alice');
    expect(none.replies.at(-1)!.text).toMatch(/not available here; name one agent/);
  });

  it('still sends <agent> <message> to the one agent', async () => {
    const { f, fan, send } = setup();
    await send('web-1 echo role=web', 'alice');
    expect(fan.calls).toHaveLength(0);
    expect(f.jobs.submitted.at(-1)).toMatchObject({ agent: 'web-1', message: 'echo role=web' });
  });
});
