import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runCli, startServe, tempDir, writeConfig, type SkadiProcess } from '../helpers/skadi-process.js';
import { shownText, startFakeSlackApi, type FakeSlackApi } from '../helpers/slack-fake-api.js';
import { eventEnvelope, mentionEvent, postEvent } from '../helpers/slack-payloads.js';

const ACCESS = `
access:
  rules:
    - who: ["slack:TFAKE/UALICE"]
      agents: ["*"]
      commands: ["*"]
`;

/** Starts `skadi serve` with a slack section pointing at the fake, and waits for the demo agent `local`. */
async function serveWithSlack(fake: FakeSlackApi, slackYaml: string): Promise<SkadiProcess> {
  const cwd = tempDir('skadi-slack-e2e-');
  // A user API token, made before the server starts, to watch the demo agent come online.
  const token = await runCli(['token', 'create', 'e2e'], { cwd });
  expect(token.code, token.stderr).toBe(0);
  const config = writeConfig(cwd, 'skadi.yaml', `slack:\n${slackYaml}  apiUrl: "${fake.apiUrl}"\n${ACCESS}`);
  const server = await startServe({ cwd, args: ['-c', config] });
  await eventually(async () => {
    const res = await fetch(`${server.url}/api/v1/agents/local`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    return res.ok && ((await res.json()) as { status: string }).status === 'online';
  }, 15_000, 'demo agent local online');
  return server;
}

/** The thread as people see it once the job is done: the status message edited into the result. */
async function finishedThread(fake: FakeSlackApi, channel: string, ts: string, server: SkadiProcess) {
  return eventually(
    () => {
      const bot = fake.thread(channel, ts).filter((m) => m.ts !== ts);
      const done = bot.find((m) => /succeeded/.test(shownText(m)));
      return done ? { bot, done } : null;
    },
    30_000,
    `the result in thread ${ts}:\n${server.output().slice(-3000)}`,
  );
}

describe('skadi serve with Slack (HTTP Events API) against a fake Slack', () => {
  let fake: FakeSlackApi;
  let server: SkadiProcess;
  const secret = `e2e-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    fake = await startFakeSlackApi({ users: { UALICE: 'Alice' } });
    server = await serveWithSlack(fake, `  mode: http\n  botToken: xoxb-e2e\n  signingSecret: "${secret}"\n`);
  });

  afterAll(async () => {
    const code = await server?.stop();
    await fake?.close();
    expect(code, server?.output()).toBe(0);
  });

  it('a mention `@skadi local uptime` becomes a job; its status message in the thread is updated to the result', async () => {
    const ts = fake.nextTs();
    const envelope = eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local uptime', channel: 'C0E2E', ts }));
    const res = await postEvent(`${server.url}/slack/events`, envelope, { secret });
    expect(res.status).toBe(200);
    // Slack retries deliveries it thinks failed: the same event again makes no second job.
    expect((await postEvent(`${server.url}/slack/events`, envelope, { secret, retryNum: 1 })).status).toBe(200);

    const { bot, done } = await finishedThread(fake, 'C0E2E', ts, server);
    // One status message, posted in the thread as "queued", then edited in place (chat.update) into the result.
    expect(bot, JSON.stringify(bot)).toHaveLength(1);
    const versions = fake.history.filter((m) => m.ts === done.ts);
    expect(shownText(versions[0]!)).toMatch(/^:hourglass_flowing_sand: Job (\w+) queued for local: uptime\n\*Agent\*\nlocal\n\*Requested by\*\nAlice$/);
    expect(versions[0]!.threadTs).toBe(ts);
    expect(done.edited).toBe(true);
    expect(fake.callsOf('chat.update').filter((c) => c.params.ts === done.ts).length).toBeGreaterThanOrEqual(1);
    const jobId = /Job (\w+) queued/.exec(shownText(versions[0]!))![1]!;
    expect(shownText(done)).toMatch(new RegExp(`^:white_check_mark: Job ${jobId} on local succeeded \\(exit 0, [^)]+\\): uptime`));
    expect(shownText(done)).toMatch(/load average/);
    // The finished job offers "Run again" instead of "Cancel".
    expect(JSON.stringify(done.blocks)).toContain('skadi_rerun');
    expect(JSON.stringify(done.blocks)).not.toContain('skadi_cancel');
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(`${server.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'url_verification', challenge: 'x' }) });
    expect(res.status).toBe(401);
  });
});

describe('skadi serve with Slack (Socket Mode) against a fake Slack', () => {
  let fake: FakeSlackApi;
  let server: SkadiProcess;

  beforeAll(async () => {
    fake = await startFakeSlackApi({ users: { UALICE: 'Alice' } });
    server = await serveWithSlack(fake, '  mode: socket\n  botToken: xoxb-e2e\n  appToken: xapp-e2e\n');
  });

  afterAll(async () => {
    const code = await server?.stop();
    await fake?.close();
    expect(code, server?.output()).toBe(0);
  });

  it('takes a mention over the WebSocket, acknowledges the envelope, and answers in the thread', async () => {
    await fake.socket.connected();
    const ts = fake.nextTs();
    const ack = await fake.socket.send('events_api', eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local uptime', channel: 'C0SOCK', ts })), { envelopeId: 'e2e-envelope' });
    expect(ack.envelopeId).toBe('e2e-envelope');
    const { bot, done } = await finishedThread(fake, 'C0SOCK', ts, server);
    expect(bot).toHaveLength(1);
    expect(done.edited).toBe(true);
    expect(shownText(done)).toMatch(/load average/);
  });
});
