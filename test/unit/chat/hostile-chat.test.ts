import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/chat/dispatcher.js';
import { renderQueued, renderResult } from '../../../src/chat/render-job.js';
import { displayText, silentLogger, type OutboundMessage } from '../../../src/core/index.js';
import { withSubmitLimits } from '../../../src/limits/submit-limits.js';
import { chatFixture } from '../../helpers/chat-fixture.js';
import { MemoryKeyValueStore } from '../../helpers/memory-kv.js';

const RLO = '\u202e';

function setup(limitJobs = false) {
  const f = chatFixture();
  f.jobs.addAgent('local');
  const replies: OutboundMessage[] = [];
  const dispatch = createDispatcher(
    {},
    {
      jobs: limitJobs ? withSubmitLimits(f.jobs, { user: { count: 1, perMs: 60_000 }, agent: null }) : f.jobs,
      commands: f.registry,
      access: f.access,
      audit: f.audit,
      kv: new MemoryKeyValueStore(f.clock),
      publish: async () => undefined,
      reply: async (_thread, message) => {
        replies.push(message);
      },
      clock: f.clock,
      logger: silentLogger,
    },
  );
  const send = async (text: string, user = 'alice') => {
    await dispatch(f.message(text, user));
    await dispatch.drain();
    return replies.at(-1);
  };
  return { f, replies, send };
}

describe('hostile chat content', () => {
  it('a megabyte message gets a short refusal at once and creates no job', async () => {
    const { f, send } = setup();
    const t0 = performance.now();
    const reply = await send(`local echo ${'A'.repeat(1024 * 1024)}`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(reply!.status).toBe('error');
    expect(reply!.text).toMatch(/^That message is 1048587 characters long; I take at most 4000\./);
    expect(reply!.text.length).toBeLessThan(300);
    expect(f.jobs.submitted).toEqual([]);
  });

  it('echoes unknown words with direction overrides and control characters made visible', async () => {
    const { send } = setup();
    const reply = await send(`evil${RLO}gnp.exe\u0000\u001b[2J uptime`);
    expect(reply!.text).toContain('"evil[U+202E]gnp.exe\ufffd\ufffd[2j"');
    for (const c of ['\u202e', '\u0000', '\u001b']) expect(reply!.text).not.toContain(c);
  });

  it('job messages and requester names in replies cannot be reordered; output stays byte for byte', () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = {
      ...f.jobs.addJob({ agent: 'local', message: `echo ${RLO}txt.exe`, state: 'succeeded', requester: { identity: 'slack:T1/U9', displayName: `Mallory${RLO}nimda` } }),
      output: `raw ${RLO} output\u001b[31m\n`,
      exitCode: 0,
    };
    const queued = renderQueued(job);
    expect(queued.text).toContain('echo [U+202E]txt.exe');
    expect(queued.fields!.find((x) => x.label === 'Requested by')!.value).toBe('Mallory[U+202E]nimda');
    expect(renderResult(job, null, new Date()).code!.content).toBe(`raw ${RLO} output\u001b[31m\n`);
    expect(displayText('plain ünïcödé 中文 👨‍👩‍👧\ttab')).toBe('plain ünïcödé 中文 👨‍👩‍👧\ttab');
  });

  it('a user over their rate limit gets a sentence saying when to retry', async () => {
    const { f, send } = setup(true);
    await send('local uptime', 'bob');
    const reply = await send('local uptime', 'bob');
    expect(reply!.text).toBe('Not so fast: web:bob may start at most 1 job a minute; try again in 60 seconds.');
    expect(f.jobs.submitted).toHaveLength(1);
  });
});
