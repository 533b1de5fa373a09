import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJobStatusPayload } from '../../src/core/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createTestDatabase, createTestRedis, readStream, type TestDatabase, type TestRedis } from '../helpers/e2e-services.js';
import { eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const AGENT_YAML = `
concurrency: 2
labels: { role: web }
handlers:
  echo: { argv: [echo, "{args}"] }
  uptime: { argv: [uptime] }
`;

interface JobRow extends RowDataPacket {
  state: string;
  exit_code: number | null;
  output: string | null;
  agent: string;
  requester_identity: string;
  reason: string | null;
}

/**
 * Issue 2, end to end: the built `skadi serve` and `skadi agent` as real processes on the
 * machine's MariaDB and Redis, set up with the CLI the way an operator would.
 */
describe('foundation: serve + agent + CLI on MariaDB and Redis', () => {
  const cwd = tempDir('skadi-e2e-foundation-');
  let db: TestDatabase;
  let redis: TestRedis;
  let env: Record<string, string>;
  let server: SkadiProcess;
  let agent: SkadiProcess;
  let userToken: string;
  let agentToken: string;

  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    db = await createTestDatabase('skadi_e2e_found');
    redis = createTestRedis('skadi-e2e-found');
    env = {
      SKADI_DATABASE_URL: db.url,
      SKADI_REDIS_URL: redis.url,
      SKADI_REDIS_KEY_PREFIX: redis.prefix,
      SKADI_DEMO_AGENT: 'false',
      SKADI_DATA_DIR: join(cwd, 'data'),
      SKADI_NODE_ID: 'foundation-1',
    };
    // Before the server starts: the first command migrates the fresh database, the server finds it ready.
    const added = await cli(['agent', 'add', 'web-1', '--label', 'role=web']);
    expect(added.code, added.stderr).toBe(0);
    agentToken = added.stdout.trim();
    expect(agentToken).toMatch(/^\S{20,}$/);
    // db-1 exists but no agent process ever runs for it: it is offline. (Schema in place: these may run together.)
    const [db1, token] = await Promise.all([cli(['agent', 'add', 'db-1', '--label', 'role=db']), cli(['token', 'create', 'ci'])]);
    expect(db1.code, db1.stderr).toBe(0);
    expect(token.code, token.stderr).toBe(0);
    userToken = token.stdout.trim();

    server = await startServe({ cwd, env });
    agent = startAgent({ server: server.url, token: agentToken, configYaml: AGENT_YAML });
    await eventually(async () => {
      const res = await fetch(`${server.url}/api/v1/agents/web-1`, { headers: { authorization: `Bearer ${userToken}` } });
      return res.ok && ((await res.json()) as { status: string }).status === 'online';
    }, 30_000, 'agent web-1 online');
  });

  afterAll(async () => {
    await agent?.kill9();
    await server?.kill9();
    await redis?.cleanup();
    await db?.drop();
  });

  it('runs `skadi send web-1 echo hello --wait`: exit 0 with the agent output, events on Redis, the row in MariaDB', async () => {
    const sent = await cli(['send', 'web-1', 'echo', 'hello', '--wait', '30', '--server', server.url, '--token', userToken]);
    expect(sent.code, `${sent.stderr}\n${server.output()}`).toBe(EXIT.ok);
    expect(sent.stdout).toBe('hello\n');
    const jobId = /^job (\S+) succeeded \(exit 0\)/m.exec(sent.stderr)?.[1];
    expect(jobId, sent.stderr).toBeDefined();

    // The relay publishes right after each commit; the last event may trail the CLI's exit by a moment.
    const events = await eventually(async () => {
      const mine = (await readStream<EventJobStatusPayload>(redis.client, `${redis.prefix}skadi.job-status`)).filter((e) => e.payload.jobId === jobId);
      return mine.some((e) => e.payload.to === 'succeeded') ? mine : null;
    }, 10_000, 'the succeeded event on the Redis stream');
    expect(events.map((e) => e.payload.to)).toEqual(['queuing', 'sent', 'running', 'succeeded']);
    expect(events.map((e) => e.payload.from)).toEqual([null, 'queuing', 'sent', 'running']);
    const first = events[0]!.payload.version;
    expect(events.map((e) => e.payload.version)).toEqual([first, first + 1, first + 2, first + 3]);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => `${jobId}:${e.payload.version}`));
    expect(new Set(events.map((e) => e.payload.agent))).toEqual(new Set(['web-1']));

    const [row] = await db.query<JobRow>('SELECT state, exit_code, output, agent, requester_identity, reason FROM jobs WHERE id = ?', [jobId]);
    expect(row).toMatchObject({ state: 'succeeded', agent: 'web-1', requester_identity: 'api:ci', reason: null, output: 'hello\n' });
    expect(Number(row!.exit_code)).toBe(0);
    // Every event of the job left the outbox.
    const pending = await db.query<RowDataPacket & { n: string }>("SELECT COUNT(*) AS n FROM outbox_events WHERE id LIKE ? AND relayed_at IS NULL", [`${jobId}:%`]);
    expect(Number(pending[0]!.n)).toBe(0);
  }, 60_000);

  it('answers a job for an offline agent with exit code 4 and SKADI_AGENT_OFFLINE; the job is stored expired', async () => {
    const sent = await cli(['send', 'db-1', 'uptime', '--wait', '10', '--server', server.url, '--token', userToken]);
    expect(sent.code, sent.stderr).toBe(EXIT.jobExpired);
    expect(sent.stderr).toMatch(/^error SKADI_AGENT_OFFLINE: agent db-1 is offline/m);
    const rows = await db.query<JobRow>("SELECT state, reason FROM jobs WHERE agent = 'db-1'");
    expect(rows).toEqual([expect.objectContaining({ state: 'expired', reason: 'agent-offline' })]);
  }, 60_000);

  it('shuts down on SIGTERM with exit 0 while the agent holds a long-poll; a revoked agent is refused and exits', async () => {
    // The agent re-polls as soon as its last job is done: let it settle into a held poll (25 s).
    await new Promise((r) => setTimeout(r, 1500));
    const revoked = await cli(['agent', 'revoke', 'web-1']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/agent web-1 revoked \(1 token\)/);
    // The running server had the token cached (agents re-poll on it); the CLI told it over Redis,
    // so it refuses the token at once rather than when its cache runs out.
    const poll = await fetch(`${server.url}/api/v1/agent/poll`, { method: 'POST', headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ wait: 0, max: 0 }) });
    expect(poll.status).toBe(401);
    expect(await poll.json()).toMatchObject({ code: 'SKADI_UNAUTHENTICATED', message: 'token revoked' });

    const port = new URL(server.url).port;
    const t0 = Date.now();
    const code = await server.stop(20_000);
    const took = Date.now() - t0;
    expect(code, server.output()).toBe(0);
    // A held poll that was not released would keep the server up to the poll's 25 s.
    expect(took, server.output()).toBeLessThan(8000);

    // Back on the same port (the agent knows only that URL): its next poll carries the revoked token.
    server = await startServe({ cwd, env, args: ['--port', port] });
    const exitCode = await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r('still running'), 40_000))]);
    expect(exitCode, agent.output()).toBe(EXIT.error);
    expect(agent.output()).toMatch(/refused the agent token \(unknown or revoked\)/);
    expect(agent.output()).toMatch(/agent stopped: agent API 401 SKADI_UNAUTHENTICATED: token revoked/);
  }, 90_000);
});
