import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyText } from '../../src/auth/job-signing-key.js';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '../helpers/e2e-services.js';
import { openWebChatTab, webLogin } from '../helpers/serve-web-client.js';
import { eventually, runCli, startAgent, startServe, tempDir, type SkadiProcess } from '../helpers/skadi-process.js';

const AGENT_YAML = `
handlers:
  echo: { argv: [echo, "{args}"] }
  fail: { argv: [sh, -c, 'echo "$1" >&2; exit 3', sh, "{args}"] }
`;

/**
 * Tokens and secrets never reach a log. Real `skadi serve` (debug level, embedded demo agent on,
 * MariaDB with a password, Redis) and a `skadi agent` process (debug level) run jobs through
 * the user API and the web chat, with good, bad, revoked and malformed credentials; then every
 * line either process wrote is searched for every secret involved.
 */
describe('no token or secret in any log output', () => {
  const cwd = tempDir('skadi-e2e-secrets-');
  const dbUser = `sk${randomBytes(4).toString('hex')}`;
  const dbPassword = `pw-${randomBytes(12).toString('hex')}`;
  const signingKey = generateSigningKeyText();
  const outputSecret = `hunter2-${randomBytes(6).toString('hex')}`;
  const wrongToken = `skadi_usr_aaaaaaaaaaaa_${randomBytes(32).toString('base64url')}`;
  const wrongWebToken = `not-the-admin-${randomBytes(8).toString('hex')}`;
  const secrets: Record<string, string> = {};
  let db: TestDatabase;
  let redis: TestRedis;
  let env: Record<string, string>;
  let server: SkadiProcess;
  let agent: SkadiProcess;

  const cli = (args: string[]) => runCli(args, { cwd, env });
  const api = (path: string, token: string, body?: unknown) =>
    fetch(`${server.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const runJob = async (token: string, agentName: string, message: string) => {
    const res = await api('/api/v1/jobs', token, { agent: agentName, message });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    return eventually(async () => {
      const job = (await (await api(`/api/v1/jobs/${id}?wait=5`, token)).json()) as { state: string; output: string | null };
      return ['succeeded', 'failed'].includes(job.state) ? job : null;
    }, 30_000, `job ${id}`);
  };

  beforeAll(async () => {
    db = await createTestDatabase('skadi_e2e_secrets');
    for (const host of ['%', 'localhost']) {
      await db.query(`CREATE USER '${dbUser}'@'${host}' IDENTIFIED BY '${dbPassword}'`);
      await db.query(`GRANT ALL ON \`${db.name}\`.* TO '${dbUser}'@'${host}'`);
    }
    redis = createTestRedis('skadi-e2e-secrets');
    const url = new URL(db.url);
    url.username = dbUser;
    url.password = dbPassword;
    env = {
      SKADI_DATABASE_URL: url.toString(),
      SKADI_REDIS_URL: redis.url,
      SKADI_REDIS_KEY_PREFIX: redis.prefix,
      SKADI_DATA_DIR: join(cwd, 'data'),
      SKADI_LOG_LEVEL: 'debug',
      SKADI_JOB_SIGNING_KEY: signingKey,
      SKADI_JOB_REDACT: JSON.stringify([outputSecret]),
      SKADI_NODE_ID: 'secrets-1',
    };
    const added = await cli(['agent', 'add', 'web-1']);
    expect(added.code, added.stderr).toBe(0);
    const [ci, old] = [await cli(['token', 'create', 'ci']), await cli(['token', 'create', 'old'])];
    Object.assign(secrets, { agentToken: added.stdout.trim(), userToken: ci.stdout.trim(), revokedToken: old.stdout.trim() });
    const oldId = /^skadi_usr_([0-9a-z]{12})_/.exec(secrets.revokedToken!)![1]!;
    expect((await cli(['token', 'revoke', oldId])).code).toBe(0);
    server = await startServe({ cwd, env });
    secrets.webAdminToken = readFileSync(join(cwd, 'data', 'web-admin-token'), 'utf8').trim();
    agent = startAgent({ server: server.url, token: secrets.agentToken!, configYaml: AGENT_YAML, args: ['--log-level', 'debug'] });
    await eventually(async () => ((await (await api('/api/v1/agents/web-1', secrets.userToken!)).json()) as { status?: string }).status === 'online', 30_000, 'agent online');
  }, 90_000);

  afterAll(async () => {
    await agent?.kill9();
    await server?.kill9();
    await redis?.cleanup();
    for (const host of ['%', 'localhost']) await db?.query(`DROP USER IF EXISTS '${dbUser}'@'${host}'`).catch(() => undefined);
    await db?.drop();
  });

  it('runs jobs with good and bad credentials, then finds none of the secrets in the logs', async () => {
    expect(secrets.webAdminToken).toMatch(/^skadi_web_/);
    // Jobs that work: user API to the external agent and to the embedded one; output with a configured secret.
    expect(await runJob(secrets.userToken!, 'web-1', 'echo hello')).toMatchObject({ state: 'succeeded', output: 'hello\n' });
    expect(await runJob(secrets.userToken!, 'web-1', `echo ${outputSecret}`)).toMatchObject({ state: 'succeeded', output: '[redacted]\n' });
    expect(await runJob(secrets.userToken!, 'web-1', `fail ${outputSecret}`)).toMatchObject({ state: 'failed', output: '[redacted]\n' });
    expect(await runJob(secrets.userToken!, 'local', 'echo embedded')).toMatchObject({ state: 'succeeded' });
    // The web chat, logged in with the admin token (its session cookie is a secret too).
    const tab = await openWebChatTab(server.url, 'admin', secrets.webAdminToken!);
    secrets.webSession = tab.cookie.split('=')[1]!;
    await tab.post('local echo from-the-web');
    await tab.waitForBot((m) => m.text.includes('from-the-web') && m.status === 'succeeded', 20_000);
    tab.close();

    // Credentials that must be refused, and must not be logged either.
    for (const token of [secrets.revokedToken!, wrongToken, `${secrets.userToken!}x`, secrets.agentToken!]) {
      expect((await api('/api/v1/jobs', token, { agent: 'web-1', message: 'echo no' })).status).toBe(401);
    }
    expect((await api('/api/v1/agent/poll', secrets.userToken!, { wait: 0 })).status).toBe(401);
    const garbled = await fetch(`${server.url}/api/v1/jobs`, { headers: { authorization: `Basic ${Buffer.from(`ci:${secrets.userToken}`).toString('base64')}` } });
    expect(garbled.status).toBe(401);
    await expect(webLogin(server.url, 'admin', wrongWebToken)).rejects.toThrow(/401/);

    // Shutdown logs count too.
    await agent.stop();
    await server.stop();
    const logs = `${server.output()}\n${agent.output()}`;
    expect(logs).toMatch(/"msg":"job reported"/); // the scan looks at real, verbose logs
    expect(logs).toMatch(/"level":20/); // debug lines included
    const scanned: Record<string, string> = {
      ...secrets,
      agentTokenSecret: secrets.agentToken!.slice(-43),
      userTokenSecret: secrets.userToken!.slice(-43),
      wrongToken,
      wrongWebToken,
      dbPassword,
      signingKey,
      outputSecret,
    };
    const found = Object.entries(scanned).filter(([, secret]) => logs.includes(secret)).map(([name]) => name);
    expect(found).toEqual([]);
  }, 120_000);
});
