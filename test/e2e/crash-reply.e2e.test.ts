import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpProxy, type HttpProxy } from '../helpers/http-proxy.js';
import { openWebChatTab, webId, type WebChatTab } from '../helpers/serve-web-client.js';
import { eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const AGENT_YAML = `
handlers:
  echo: { argv: [echo, "{args}"] }
`;
/** Tries at catching the server between the result and its reply; each costs a restart. */
const ATTEMPTS = 4;

interface ReplyRow {
  reply_key: string;
  state: string;
  owner: string;
  message_id: string | null;
}

/**
 * Issue 3: the server dies after it recorded a job's result and before it replied. On the
 * embedded defaults (SQLite file, in-process bus) the reply exists only as the outbox event and
 * the job row; after a restart on the same data directory it must go out, exactly once.
 *
 * The agent reaches the server through a proxy that SIGKILLs the server the instant the
 * server answers 200 to the agent's result POST — the result is committed, the reply is at
 * best on its way. If the reply got out anyway (the kill came too late) the scenario is
 * repeated with a new job.
 */
describe('crash between a job result and its reply (SQLite, in-process bus)', () => {
  const cwd = tempDir('skadi-e2e-crash-');
  const dbFile = join(cwd, 'data', 'skadi.db');
  // A stable node id, as a restarted process needs to take over what its previous run left.
  const env = { SKADI_DATABASE_URL: `sqlite:${dbFile}`, SKADI_DATA_DIR: join(cwd, 'data'), SKADI_DEMO_AGENT: 'false', SKADI_NODE_ID: 'crash-node' };
  const conversation = webId('conv');
  let server: SkadiProcess;
  let agent: SkadiProcess;
  let proxy: HttpProxy;
  /** Set to kill the server at the next 200 answer to a result POST; holds the job id once done. */
  let trap: { armed: boolean; jobId: string | null } = { armed: false, jobId: null };
  let adminToken: string;

  const sql = <T>(query: string, ...params: unknown[]): T[] => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(query).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const replies = (jobId: string) => sql<ReplyRow>('SELECT reply_key, state, owner, message_id FROM replies WHERE job_id = ? ORDER BY reply_key', jobId);

  const restart = async (): Promise<WebChatTab> => {
    server = await startServe({ cwd, env });
    proxy.target = server.url;
    // Sessions live in memory: after a restart the browser logs in again.
    return openWebChatTab(server.url, 'admin', adminToken, conversation);
  };

  beforeAll(async () => {
    const added = await runCli(['agent', 'add', 'web-1'], { cwd, env });
    expect(added.code, added.stderr).toBe(0);
    server = await startServe({ cwd, env });
    adminToken = readFileSync(join(cwd, 'data', 'web-admin-token'), 'utf8').trim();
    proxy = await startHttpProxy({
      target: server.url,
      onResponse: ({ method, path, status }) => {
        const result = /\/jobs\/([^/]+)\/result$/.exec(path);
        if (!trap.armed || method !== 'POST' || !result || status !== 200) return;
        trap = { armed: false, jobId: result[1]! };
        server.proc.kill('SIGKILL');
      },
    });
    agent = startAgent({ server: proxy.url, token: added.stdout.trim(), configYaml: AGENT_YAML });
    await eventually(() => sql<{ status: string }>("SELECT status FROM agents WHERE name = 'web-1'")[0]?.status === 'online', 30_000, 'web-1 online');
  });

  afterAll(async () => {
    await agent?.kill9();
    await server?.kill9();
    await proxy?.close();
  });

  it('kills the server between a job result and its reply: after restart the reply is sent, once', async () => {
    let tab = await openWebChatTab(server.url, 'admin', adminToken, conversation);
    let caught: string | null = null;
    const late: string[] = [];
    for (let attempt = 1; attempt <= ATTEMPTS && !caught; attempt++) {
      trap = { armed: true, jobId: null };
      await tab.post(`web-1 echo crash-${attempt}`);
      await Promise.race([server.exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`the server was not killed:\n${server.output()}\n${agent.output()}`)), 15_000))]);
      tab.close();
      const jobId = trap.jobId!;
      expect(sql<{ state: string }>('SELECT state FROM jobs WHERE id = ?', jobId)).toEqual([{ state: 'succeeded' }]);
      const result = replies(jobId).find((r) => r.reply_key === 'result');
      if (result?.state === 'sent') late.push(jobId);
      else caught = jobId;
      tab = await restart();
    }
    expect(caught, `the kill came after the reply in all ${ATTEMPTS} attempts (${late.join(', ')})`).not.toBeNull();
    const jobId = caught!;

    // The restarted server relays the job's events its predecessor left and the router replies.
    const shown = await tab.waitForBot((m) => m.jobId === jobId && m.status === 'succeeded', 20_000);
    expect(shown.files?.[0]?.content).toMatch(/^crash-\d\n$/);
    await eventually(() => replies(jobId).find((r) => r.reply_key === 'result')?.state === 'sent', 5_000, 'the result reply marked sent');
    await eventually(() => sql<{ n: number }>('SELECT COUNT(*) AS n FROM outbox_events WHERE relayed_at IS NULL')[0]!.n === 0, 10_000, 'outbox drained');
    // Give a duplicate the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const rows = replies(jobId);
    expect(rows.filter((r) => r.reply_key === 'result')).toEqual([expect.objectContaining({ state: 'sent' })]);
    expect(rows.every((r) => r.state === 'sent'), JSON.stringify(rows)).toBe(true);
    const results = tab.events().filter((e) => e.message.jobId === jobId && e.message.status === 'succeeded');
    expect(results, JSON.stringify(tab.events())).toHaveLength(1);
    // It is the acknowledgement's message, edited: the thread shows one message for the job.
    const ack = rows.find((r) => r.reply_key === 'queued');
    if (ack?.message_id) expect(results[0]!.message.id).toBe(ack.message_id);
    tab.close();

    // Shut down cleanly now: SIGTERM ends with 0.
    expect(await server.stop(), server.output()).toBe(0);
  }, 120_000);
});
