import { describe, expect, it } from 'vitest';
import { agentsCommand, cancelCommand, helpCommand, jobsCommand, rerunCommand, statusCommand } from '../../../commands/index.js';
import { chatFixture } from '../../helpers/chat-fixture.js';

describe('help', () => {
  it('lists only the commands and agents the user may use, generated from the specs', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    f.jobs.addAgent('db-1');
    const bob = await helpCommand.run(f.context('bob'), {});
    expect(bob.text).toContain('Agents you may use: local');
    expect(bob.text).not.toContain('db-1');
    expect(bob.text).toContain('status <job> — shows a job');
    expect(bob.text).toContain('jobs [agent]');
    expect(bob.text).not.toContain('cancel <job>');
    const alice = await helpCommand.run(f.context('alice'), {});
    expect(alice.text).toContain('Agents you may use: db-1, local');
    for (const spec of f.registry.commands) expect(alice.text).toContain(spec.help);
  });

  it('shortens a long list of agents', async () => {
    const f = chatFixture();
    for (let i = 0; i < 25; i++) f.jobs.addAgent(`node-${String(i).padStart(2, '0')}`);
    const reply = await helpCommand.run(f.context('alice'), {});
    expect(reply.text).toContain('node-19 and 5 more (say "agents")');
    expect(reply.text).not.toContain('node-20');
  });

  it('tells a user without any access whom to ask', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const reply = await helpCommand.run(f.context('stranger'), {});
    expect(reply.text).toContain('ask an admin to add web:stranger');
  });

  it('explains one command, by name or alias', async () => {
    const f = chatFixture();
    const reply = await helpCommand.run(f.context('alice'), { command: 'kill' });
    expect(reply.text).toContain('cancel <job>');
    expect(reply.text).toContain('Also: kill');
    expect(reply.text).toContain('jobs:cancel');
    expect((await helpCommand.run(f.context('alice'), { command: 'nope' })).status).toBe('error');
  });
});

describe('agents', () => {
  it('lists the agents the user may use, with status, last seen and labels', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local', { labels: { role: 'demo' } });
    f.jobs.addAgent('web-1', { status: 'offline', lastSeenAt: new Date(f.clock.now().getTime() - 5 * 60_000) });
    f.jobs.addAgent('db-1');
    const dave = await agentsCommand.run(f.context('dave'), {});
    expect(dave.text).toContain('2 agent(s), 1 online');
    expect(dave.text).toContain('local  online  role=demo');
    expect(dave.text).toContain('web-1  offline, last seen 5 min ago');
    expect(dave.text).not.toContain('db-1');
  });

  it('filters by name glob or label', async () => {
    const f = chatFixture();
    f.jobs.addAgent('web-1', { labels: { role: 'web' } });
    f.jobs.addAgent('web-2', { labels: { role: 'web' } });
    f.jobs.addAgent('db-1', { labels: { role: 'db' } });
    expect((await agentsCommand.run(f.context('alice'), { selector: 'web-*' })).text).toMatch(/web-1[\s\S]*web-2/);
    const db = await agentsCommand.run(f.context('alice'), { selector: 'role=db' });
    expect(db.text).toContain('db-1');
    expect(db.text).not.toContain('web-1');
    expect((await agentsCommand.run(f.context('alice'), { selector: 'x*' })).text).toContain('None of your agents matches');
  });

  it('says so when the user may use no agent', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    expect((await agentsCommand.run(f.context('stranger'), {})).text).toContain('ask an admin to add web:stranger');
  });
});

describe('status', () => {
  it('shows state, timings, exit code and the output as code', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', message: 'uptime' });
    f.clock.advance(1_000);
    f.jobs.move(job.id, 'running');
    f.clock.advance(2_500);
    f.jobs.move(job.id, 'succeeded', { exitCode: 0, output: ' 12:00 up 3 days\n' });
    const reply = await statusCommand.run(f.context('bob'), { job: job.id.toUpperCase() });
    expect(reply.text).toBe(`Job ${job.id} on local is succeeded.`);
    expect(reply.status).toBe('succeeded');
    expect(reply.fields).toEqual(expect.arrayContaining([{ label: 'Exit code', value: '0' }, { label: 'Duration', value: '2.5 s' }, { label: 'Message', value: 'uptime' }]));
    expect(reply.code).toEqual({ content: ' 12:00 up 3 days\n', filename: `${job.id}.txt` });
    expect(reply.actions).toEqual([{ id: 'rerun', label: 'Run again', jobId: job.id }]);
  });

  it('explains an expiry in words', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local', { status: 'offline', lastSeenAt: new Date(f.clock.now().getTime() - 5 * 60_000) });
    const { job } = await f.jobs.submit({ agent: 'local', message: 'uptime', requester: { identity: 'web:bob' }, thread: null });
    const reply = await statusCommand.run(f.context('bob'), { job: `#${job.id}` });
    expect(reply.text).toBe(`Job ${job.id} on local is expired: local is offline (last seen 5 min ago).`);
  });

  it('does not show jobs on agents the user may not use, nor unknown ones', async () => {
    const f = chatFixture();
    f.jobs.addAgent('db-1');
    const job = f.jobs.addJob({ agent: 'db-1' });
    const hidden = await statusCommand.run(f.context('bob'), { job: job.id });
    const missing = await statusCommand.run(f.context('bob'), { job: 'nosuchjob' });
    expect(hidden.text).toBe(`I know no job ${job.id} that you may see. Say "jobs" to list recent ones.`);
    expect(missing.text).toContain('I know no job nosuchjob');
  });
});

describe('jobs', () => {
  it('lists recent jobs the user may see, newest first', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    f.jobs.addAgent('db-1');
    const older = f.jobs.addJob({ agent: 'local', message: 'date' });
    f.clock.advance(60_000);
    const newer = f.jobs.addJob({ agent: 'local', message: 'uptime' });
    const secret = f.jobs.addJob({ agent: 'db-1', message: 'backup' });
    const reply = await jobsCommand.run(f.context('bob'), {});
    expect(reply.text.indexOf(newer.id)).toBeLessThan(reply.text.indexOf(older.id));
    expect(reply.text).toContain(`${older.id}  local  queuing  date  (1 min ago, by alice)`);
    expect(reply.text).not.toContain(secret.id);
  });

  it('filters by agent, and refuses (audited) an agent the user may not use', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    f.jobs.addJob({ agent: 'local' });
    expect((await jobsCommand.run(f.context('bob'), { agent: 'Local' })).title).toBe('Recent jobs on local');
    const refused = await jobsCommand.run(f.context('bob'), { agent: 'db-1' });
    expect(refused.status).toBe('refused');
    expect(refused.text).toContain('ask an admin to add web:bob to a rule for agent db-1');
    expect(f.audit.entries.at(-1)).toMatchObject({ decision: 'deny', target: 'agent:db-1' });
    expect((await jobsCommand.run(f.context('alice'), { agent: 'db-1' })).text).toBe('No jobs on db-1 yet.');
  });
});

describe('cancel', () => {
  it('lets the requester cancel their own job', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', message: 'sleep 100', requester: { identity: 'web:bob' } });
    const reply = await cancelCommand.run(f.context('bob'), { job: job.id });
    expect(reply).toMatchObject({ status: 'cancelled', text: `Cancelled job ${job.id} (local: sleep 100).` });
    expect(f.jobs.jobs.get(job.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled by web:bob' });
  });

  it("refuses someone else's job without jobs:cancel:any, and audits the decision", async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', requester: { identity: 'web:carol', displayName: 'Carol' } });
    const reply = await cancelCommand.run(f.context('bob'), { job: job.id });
    expect(reply.status).toBe('refused');
    expect(reply.text).toContain('was started by Carol; only they can cancel it, or someone with the jobs:cancel:any permission');
    expect(f.jobs.jobs.get(job.id)!.state).toBe('queuing');
    expect(f.audit.entries.at(-1)).toMatchObject({ actor: 'web:bob', decision: 'deny', target: 'permission:jobs:cancel:any' });
  });

  it("lets a holder of jobs:cancel:any cancel anyone's job", async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', requester: { identity: 'web:carol' } });
    expect((await cancelCommand.run(f.context('dave'), { job: job.id })).status).toBe('cancelled');
    expect(f.audit.entries.at(-1)).toMatchObject({ actor: 'web:dave', decision: 'allow' });
  });

  it('says a finished job has nothing to cancel', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', state: 'succeeded', requester: { identity: 'web:alice' } });
    expect((await cancelCommand.run(f.context('alice'), { job: job.id })).text).toBe(`Job ${job.id} already ended (succeeded); there is nothing to cancel.`);
    // Finished between the read and the cancel:
    const racing = f.jobs.addJob({ agent: 'local', requester: { identity: 'web:alice' } });
    const ctx = f.context('alice');
    const jobs = Object.create(f.jobs) as typeof f.jobs;
    jobs.cancel = async (id) => {
      f.jobs.move(id, 'succeeded');
      return f.jobs.cancel(id, 'x');
    };
    expect((await cancelCommand.run({ ...ctx, jobs }, { job: racing.id })).text).toContain('already ended (succeeded)');
  });
});

describe('rerun', () => {
  it('submits the same agent and message as a new job answering in the current thread', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', message: 'echo "a b"', state: 'failed', requester: { identity: 'web:bob' } });
    const ctx = f.context('carol', `rerun ${job.id}`);
    const reply = await rerunCommand.run(ctx, { job: job.id });
    const input = f.jobs.submitted.at(-1)!;
    expect(input).toMatchObject({ agent: 'local', message: 'echo "a b"', requester: { identity: 'web:carol' }, thread: ctx.message.thread, parentId: job.id });
    expect(reply.text).toMatch(new RegExp(`^Running job ${job.id} again as job job\\d+ \\(local: echo "a b"\\)\\.$`));
  });

  it('refuses when no single rule grants rerun on that agent', async () => {
    const f = chatFixture();
    f.jobs.addAgent('local');
    const job = f.jobs.addJob({ agent: 'local', state: 'failed' });
    const reply = await rerunCommand.run(f.context('bob'), { job: job.id });
    expect(reply.status).toBe('refused');
    expect(reply.text).toBe('Sorry, you may not use rerun on local; ask an admin to add web:bob to a rule for command rerun (or permission jobs:run).');
    expect(f.jobs.submitted).toHaveLength(0);
  });
});
