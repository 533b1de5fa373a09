import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebChatMessage } from '../../adapters/web/wire-types.js';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '../helpers/e2e-services.js';
import { openWebChatTab, webId, webLogin, type WebChatTab } from '../helpers/serve-web-client.js';
import { eventually, runCli, startAgent, startServe, tempDir, writeConfig, type SkadiProcess } from '../helpers/skadi-process.js';

const JOBS = 20;
const ALICE = { name: 'alice', token: 'alice-token-0123456789abcdef' };
const CONFIG = `
web:
  users:
    - { name: ${ALICE.name}, token: ${ALICE.token} }
access:
  rules:
    - who: [web:alice]
      agents: [web-1]
      commands: ['*']
`;
// A moment of work per job, so the acknowledgement is normally due before the result (the router
// rightly skips an acknowledgement that would arrive after the job finished).
const AGENT_YAML = `
concurrency: 4
handlers:
  echo: { argv: [sh, -c, 'sleep 0.3; echo "$@"', sh, "{args}"] }
`;
const FINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

interface ReplyRow extends RowDataPacket {
  job_id: string;
  reply_key: string;
  state: string;
  owner: string;
  message_id: string | null;
}

/**
 * Issue 3: two `skadi serve` processes on one MariaDB database and one Redis prefix, a browser
 * tab on each (same user, same conversation), jobs posted to both in turn. Whichever process's
 * reply router answers, each job is acknowledged once and answered once — in the replies table
 * and in what both tabs receive.
 */
describe('two server processes, one database, one Redis', () => {
  const cwd = tempDir('skadi-e2e-two-');
  let db: TestDatabase;
  let redis: TestRedis;
  let servers: SkadiProcess[] = [];
  let agent: SkadiProcess;
  let tabs: WebChatTab[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('skadi_e2e_two');
    redis = createTestRedis('skadi-e2e-two');
    const config = writeConfig(cwd, 'skadi.yaml', CONFIG);
    const shared = { SKADI_DATABASE_URL: db.url, SKADI_REDIS_URL: redis.url, SKADI_REDIS_KEY_PREFIX: redis.prefix, SKADI_DEMO_AGENT: 'false' };
    const added = await runCli(['agent', 'add', 'web-1'], { cwd, env: shared });
    expect(added.code, added.stderr).toBe(0);
    servers = await Promise.all(
      ['a', 'b'].map((node) => startServe({ cwd, args: ['--config', config], env: { ...shared, SKADI_NODE_ID: `two-${node}`, SKADI_DATA_DIR: join(cwd, `data-${node}`) } })),
    );
    // The agent long-polls process a only: jobs posted to b wake it through Redis.
    agent = startAgent({ server: servers[0]!.url, token: added.stdout.trim(), configYaml: AGENT_YAML });
    const cookie = await webLogin(servers[1]!.url, ALICE.name, ALICE.token);
    await eventually(async () => {
      const res = await fetch(`${servers[1]!.url}/web/api/agents`, { headers: { cookie } });
      const body = (await res.json()) as { agents: Array<{ name: string; status: string }> };
      return body.agents.find((a) => a.name === 'web-1')?.status === 'online';
    }, 30_000, 'web-1 online');
    // One user, two tabs on the same conversation, each tab on its own server process.
    const conversation = webId('conv');
    tabs = await Promise.all(servers.map((s) => openWebChatTab(s.url, ALICE.name, ALICE.token, conversation)));
  });

  afterAll(async () => {
    for (const tab of tabs) tab.close();
    await agent?.kill9();
    const codes = await Promise.all(servers.map((s) => s.stop()));
    await redis?.cleanup();
    await db?.drop();
    expect(codes, servers.map((s) => s.output()).join('\n')).toEqual(servers.map(() => 0));
  });

  it(`acknowledges and answers each of ${JOBS} jobs once, and both browsers see every reply once`, async () => {
    for (let i = 0; i < JOBS; i++) await tabs[i % 2]!.post(`web-1 echo job-${i}`);

    const finished = (tab: WebChatTab) => [...tab.botMessages().values()].filter((m) => m.jobId && FINAL.has(m.status ?? ''));
    for (const tab of tabs) await eventually(() => finished(tab).length >= JOBS, 20_000, `${JOBS} results in the tab on ${tab.url}`);
    // Nothing is left to send: every event relayed, every claim turned into a sent reply. Then a
    // moment for anything sent twice to show up before counting.
    await eventually(async () => {
      const [outbox] = await db.query<RowDataPacket & { n: string }>('SELECT COUNT(*) AS n FROM outbox_events WHERE relayed_at IS NULL');
      const [claims] = await db.query<RowDataPacket & { n: string }>("SELECT COUNT(*) AS n FROM replies WHERE state <> 'sent'");
      return Number(outbox!.n) === 0 && Number(claims!.n) === 0;
    }, 15_000, 'outbox relayed and replies settled');
    await new Promise((r) => setTimeout(r, 750));

    const jobs = await db.query<RowDataPacket & { id: string; state: string; message: string }>("SELECT id, state, message FROM jobs WHERE requester_identity = 'web:alice'");
    expect(jobs).toHaveLength(JOBS);
    expect(jobs.map((j) => j.state)).toEqual(jobs.map(() => 'succeeded'));
    const jobIds = jobs.map((j) => j.id).sort();

    // The replies table: one sent result per job; one acknowledgement per job unless the job had
    // finished by the time it was due (then none: a late "queued" would be stale).
    const replies = await db.query<ReplyRow>('SELECT job_id, reply_key, state, owner, message_id FROM replies');
    expect(replies.filter((r) => r.state !== 'sent')).toEqual([]);
    const sentOf = (key: string) => replies.filter((r) => r.reply_key === key).map((r) => r.job_id).sort();
    expect(sentOf('result')).toEqual(jobIds);
    const acks = new Map(replies.filter((r) => r.reply_key === 'queued' && r.message_id !== null).map((r) => [r.job_id, r.message_id!]));
    expect(acks.size, 'jobs acknowledged before they finished').toBeGreaterThan(0);
    // Both processes' reply routers took part, so replies did cross between processes.
    const owners = new Set(replies.map((r) => r.owner.split('/')[0]));
    expect(owners).toEqual(new Set(['two-a', 'two-b']));

    for (const [t, tab] of tabs.entries()) {
      const events = tab.events();
      const where = `tab ${t} (${tab.url})`;
      // Every user message shows once in both tabs, whichever process it was posted to.
      const echoes = events.filter((e) => e.message.author.kind === 'user');
      expect(echoes.filter((e) => e.event === 'message.new'), where).toHaveLength(JOBS);
      expect(new Set(echoes.map((e) => e.message.text)).size, where).toBe(JOBS);

      const bot = events.filter((e) => e.message.author.kind === 'bot');
      for (const job of jobs) {
        const mine = bot.filter((e) => e.message.jobId === job.id);
        // One status message per job, created once (as the acknowledgement, where there was one)
        // and edited in place to the result, which shows once.
        expect(new Set(mine.map((e) => e.message.id)).size, `${where}: messages of job ${job.id}`).toBe(1);
        const created = mine.filter((e) => e.event === 'message.new');
        expect(created, `${where}: job ${job.id}`).toHaveLength(1);
        const ack = acks.get(job.id);
        if (ack !== undefined) expect(created[0]!.message, `${where}: job ${job.id}`).toMatchObject({ id: ack, status: 'queued' });
        expect(mine.filter((e) => FINAL.has(e.message.status ?? '')), `${where}: results of job ${job.id}`).toHaveLength(1);
        const last: WebChatMessage = mine.at(-1)!.message;
        expect(last.status, `${where}: job ${job.id}`).toBe('succeeded');
        expect(last.files?.[0]?.content, `${where}: job ${job.id}`).toBe(`${job.message.replace(/^echo /, '')}\n`);
      }
      expect(new Set(bot.map((e) => e.message.jobId))).toEqual(new Set(jobIds));
    }
  }, 60_000);
});
