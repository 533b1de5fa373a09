import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '../helpers/e2e-services.js';
import { eventually, runCli, startAgent, startServe, tempDir, writeConfig, type SkadiProcess } from '../helpers/skadi-process.js';
import { connectWechatPeer, PEER_PUPPET, type PeerSent, type WechatPeer } from '../helpers/wechat-peer.js';

/**
 * Issue 6 end to end: the built `skadi serve` with `wechat.puppet` pointing at a test puppet
 * (wechaty-puppet-mock plus a loopback control API, test/fixtures/wechat/peer-puppet.mjs), so
 * the real wechaty runs inside the real server; the test plays the people in WeChat.
 */

const BOT = 'skadi-bot';
const ROOM = 'ops@chatroom';
const STATUS_TOKEN = 'e2e-wechat-status-token';
const AGENT_YAML = `
handlers:
  echo: { argv: [echo, "{args}"] }
  nap: { argv: [sh, -c, "sleep 2; echo napped"] }
`;

function wechatConfigYaml(dir: string): string {
  return `
wechat:
  puppet: ${JSON.stringify(PEER_PUPPET)}
  puppetOptions: { stateFile: ${JSON.stringify(join(dir, 'peer-state.json'))}, controlFile: ${JSON.stringify(join(dir, 'peer-control.json'))} }
  sendIntervalMs: 20
  maxTextLength: 500
  statusToken: ${STATUS_TOKEN}
access:
  rules:
    - { who: [wechat:alice, wechat:bob], agents: ['*'], commands: ['*'] }
`;
}

/** The people, the bot's account and the ops room (kept in the peer's state file across restarts). */
async function setUpWorld(peer: WechatPeer): Promise<void> {
  for (const [id, name] of [[BOT, 'Skadi'], ['alice', 'Alice'], ['bob', 'Bob'], ['carol', 'Carol']] as const) await peer.addContact(id, name);
  await peer.addRoom(ROOM, 'ops', [BOT, 'alice', 'bob', 'carol']);
}

async function logIn(peer: WechatPeer, server: SkadiProcess): Promise<void> {
  await peer.scan(`https://login.weixin.qq.com/l/e2e-${Date.now()}`);
  await peer.login(BOT);
  await eventually(async () => ((await (await fetch(`${server.url}/wechat/status`)).json()) as { loggedIn: boolean }).loggedIn, 10_000, 'the bot logged in');
}

async function agentOnline(cwd: string, env: Record<string, string>, name: string): Promise<void> {
  await eventually(async () => {
    const listed = await runCli(['agent', 'list', '--json'], { cwd, env });
    return (JSON.parse(listed.stdout) as Array<{ name: string; online: boolean }>).some((a) => a.name === name && a.online);
  }, 30_000, `agent ${name} online`);
}

/** The first message the bot sent that matches, waiting for it. */
function waitForSent(peer: WechatPeer, match: (m: PeerSent) => boolean, what: string, timeoutMs = 20_000): Promise<PeerSent> {
  return eventually(async () => (await peer.sent()).find(match), timeoutMs, what);
}

const queuedJobId = (m: PeerSent): string => /Job (\w+) queued/.exec(m.text)![1]!;

/**
 * A reply pending while the bot is logged out survives a restart of the process that holds the
 * WeChat login, and goes out once after the new process logs in. `start` (re)starts that process.
 */
async function restartWhilePending(o: { dir: string; start: () => Promise<SkadiProcess>; server: SkadiProcess; peer: WechatPeer; agentName: string }): Promise<{ server: SkadiProcess; peer: WechatPeer }> {
  let { server, peer } = o;
  await peer.say({ from: 'alice', to: ROOM, text: `${o.agentName} nap`, mention: true });
  const ack = await waitForSent(peer, (m) => m.text.includes(`queued for ${o.agentName}: nap`), 'the acknowledgement');
  const jobId = queuedJobId(ack);
  // The phone logs the bot out while the job runs: its result cannot be sent.
  await peer.logout('logged out on the phone');
  await server.waitForOutput(/not logged in to WeChat/, 20_000);
  const before = await peer.sent();
  expect(before.some((m) => m.text.includes(`Job ${jobId} on`))).toBe(false);

  await server.stop();
  rmSync(join(o.dir, 'peer-control.json'), { force: true });
  server = await o.start();
  peer = await connectWechatPeer(join(o.dir, 'peer-control.json'));
  // The new process tries too, and keeps the reply while nobody is logged in.
  await server.waitForOutput(/not logged in to WeChat/, 30_000);
  expect(await peer.sent()).toEqual([]);

  await logIn(peer, server);
  const result = await waitForSent(peer, (m) => m.text.includes(`Job ${jobId} on ${o.agentName} succeeded`), 'the pending result after login', 45_000);
  expect(result).toMatchObject({ conversationId: ROOM, mentionIdList: ['alice'] });
  expect(result.text).toContain('napped');
  // Once: give a duplicate time to show up.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect((await peer.sent()).filter((m) => m.text.includes(`Job ${jobId} on`))).toHaveLength(1);
  return { server, peer };
}

describe('WeChat end to end: skadi serve (SQLite, in-process bus) with wechaty and the peer puppet', () => {
  const dir = tempDir('skadi-e2e-wechat-');
  const env = { SKADI_CONFIG: join(dir, 'skadi.yaml') };
  let server: SkadiProcess;
  let agent: SkadiProcess;
  let peer: WechatPeer;
  let apiToken: string;

  const start = () => startServe({ cwd: dir, env, timeoutMs: 60_000 });

  beforeAll(async () => {
    writeConfig(dir, 'skadi.yaml', wechatConfigYaml(dir));
    const added = await runCli(['agent', 'add', 'web-1'], { cwd: dir, env });
    expect(added.code, added.stderr).toBe(0);
    const token = await runCli(['token', 'create', 'e2e'], { cwd: dir, env });
    apiToken = token.stdout.trim();
    server = await start();
    peer = await connectWechatPeer(join(dir, 'peer-control.json'));
    await setUpWorld(peer);
    agent = startAgent({ server: server.url, token: added.stdout.trim(), configYaml: AGENT_YAML });
    await agentOnline(dir, env, 'web-1');
  }, 120_000);

  afterAll(async () => {
    await agent?.kill9();
    await server?.kill9();
  });

  it('shows the login QR code in the terminal and on /wechat (with the token), then reports the login', async () => {
    const qrcode = 'https://login.weixin.qq.com/l/e2e-first-login';
    await peer.scan(qrcode);
    await server.waitForOutput(/scan this QR code[\s\S]*█[\s\S]*\/wechat\?token=e2e-wechat-status-token/);
    const open = (await (await fetch(`${server.url}/wechat/status`)).json()) as Record<string, unknown>;
    expect(open).toMatchObject({ state: 'waiting-for-scan', loggedIn: false, qrcode: null });
    const secret = (await (await fetch(`${server.url}/wechat/status?token=${STATUS_TOKEN}`)).json()) as Record<string, unknown>;
    expect(secret.qrcode).toBe(qrcode);
    expect(await (await fetch(`${server.url}/wechat?token=${STATUS_TOKEN}`)).text()).toContain('<svg');

    await peer.login(BOT);
    await server.waitForOutput(/"msg":"WeChat: logged in"/);
    const status = (await (await fetch(`${server.url}/wechat/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ state: 'logged-in', loggedIn: true, user: { id: BOT, name: 'Skadi' }, lastEvent: { type: 'login' } });
  });

  it('turns a room mention into a job and answers in the room, mentioning the requester and naming the job; ignores chatter', async () => {
    await peer.say({ from: 'alice', to: ROOM, text: 'local echo chatter-not-for-the-bot', mention: false });
    const id = await peer.say({ from: 'alice', to: ROOM, text: 'local echo marker-room', mention: true });
    await peer.say({ from: 'alice', to: ROOM, text: 'local echo marker-room', mention: true, id });
    const result = await waitForSent(peer, (m) => /Job \w+ on local succeeded/.test(m.text) && m.text.includes('marker-room'), 'the room result');
    const jobId = /Job (\w+) on local/.exec(result.text)![1]!;
    expect(result).toMatchObject({ conversationId: ROOM, mentionIdList: ['alice'] });
    expect(result.text.startsWith('@Alice\u2005')).toBe(true);
    const ack = (await peer.sent()).find((m) => m.text.includes(`Job ${jobId} queued for local: echo marker-room`));
    expect(ack).toMatchObject({ conversationId: ROOM, mentionIdList: ['alice'] });

    const jobs = (await (await fetch(`${server.url}/api/v1/jobs?limit=50`, { headers: { authorization: `Bearer ${apiToken}` } })).json()) as { jobs: Array<{ id: string; message: string; requester: string; platform: string }> };
    expect(jobs.jobs.find((j) => j.id === jobId)).toMatchObject({ message: 'echo marker-room', requester: 'wechat:alice', platform: 'wechat' });
    expect(jobs.jobs.some((j) => j.message.includes('chatter'))).toBe(false);
    expect(jobs.jobs.filter((j) => j.message === 'echo marker-room')).toHaveLength(1);
    expect((await peer.sent()).some((m) => m.text.includes('chatter'))).toBe(false);
  });

  it('splits output longer than maxTextLength into numbered messages, in order, in the room', async () => {
    const words = Array.from({ length: 150 }, (_, i) => `w${String(i).padStart(3, '0')}`).join(' ');
    await peer.say({ from: 'bob', to: ROOM, text: `local echo ${words}`, mention: true });
    const summary = await waitForSent(peer, (m) => /Job \w+ on local succeeded/.test(m.text) && m.text.includes('The output follows in'), 'the summary');
    const jobId = /Job (\w+) on local/.exec(summary.text)![1]!;
    const total = Number(/follows in (\d+) messages/.exec(summary.text)![1]);
    expect(total).toBeGreaterThan(1);
    const pieces = await eventually(async () => {
      const found = (await peer.sent()).filter((m) => m.text.startsWith(`Output of job ${jobId} (`));
      return found.length === total ? found : null;
    }, 20_000, 'every piece of the output');
    expect(summary).toMatchObject({ conversationId: ROOM, mentionIdList: ['bob'] });
    for (const [i, piece] of pieces.entries()) {
      expect(piece.text.length).toBeLessThanOrEqual(500);
      expect(piece.text.startsWith(`Output of job ${jobId} (${i + 1}/${total})`)).toBe(true);
      expect(piece).toMatchObject({ conversationId: ROOM, mentionIdList: [] });
    }
    const output = pieces.map((p) => p.text.slice(p.text.indexOf('\n\n') + 2)).join('');
    expect(output.trim()).toBe(words);
  });

  it('turns a direct message into a job and answers in the direct chat', async () => {
    await peer.say({ from: 'bob', to: BOT, text: 'local echo marker-direct' });
    const result = await waitForSent(peer, (m) => /Job \w+ on local succeeded/.test(m.text) && m.text.includes('marker-direct'), 'the direct result');
    expect(result).toMatchObject({ conversationId: 'bob', mentionIdList: [] });
    expect(result.text).not.toContain('@');
  });

  it('tells someone without access who they are (how an admin finds a contact id)', async () => {
    await peer.say({ from: 'carol', to: BOT, text: 'local uptime' });
    const refusal = await waitForSent(peer, (m) => m.conversationId === 'carol', 'the refusal');
    expect(refusal.text).toMatch(/Sorry, you may not .*wechat:carol/);
  });

  it('delivers a reply that was pending across a restart once, after the new process logs in', async () => {
    ({ server, peer } = await restartWhilePending({ dir, start, server, peer, agentName: 'web-1' }));
  }, 150_000);
});

describe('WeChat end to end: two servers on MariaDB and Redis, only one of them logged in to WeChat', () => {
  const dir = tempDir('skadi-e2e-wechat-redis-');
  let db: TestDatabase;
  let redis: TestRedis;
  let env: Record<string, string>;
  let other: SkadiProcess;
  let wechat: SkadiProcess;
  let agent: SkadiProcess;
  let peer: WechatPeer;

  // The WeChat process keeps its node id across restarts: it resumes its own pending events at once.
  const startWechat = () => startServe({ cwd: dir, env: { ...env, SKADI_CONFIG: join(dir, 'skadi.yaml'), SKADI_NODE_ID: 'wechat-1' }, timeoutMs: 60_000 });

  beforeAll(async () => {
    db = await createTestDatabase('skadi_e2e_wechat');
    redis = createTestRedis('skadi-e2e-wechat');
    env = { SKADI_DATABASE_URL: db.url, SKADI_REDIS_URL: redis.url, SKADI_REDIS_KEY_PREFIX: redis.prefix, SKADI_DEMO_AGENT: 'false', SKADI_DATA_DIR: join(dir, 'data') };
    writeConfig(dir, 'skadi.yaml', wechatConfigYaml(dir));
    const added = await runCli(['agent', 'add', 'web-2'], { cwd: dir, env });
    expect(added.code, added.stderr).toBe(0);
    // The other server has no wechat section; the agent talks to it only.
    other = await startServe({ cwd: dir, env: { ...env, SKADI_NODE_ID: 'other-1', SKADI_DATA_DIR: join(dir, 'data-other') }, timeoutMs: 60_000 });
    wechat = await startWechat();
    peer = await connectWechatPeer(join(dir, 'peer-control.json'));
    await setUpWorld(peer);
    agent = startAgent({ server: other.url, token: added.stdout.trim(), configYaml: AGENT_YAML });
    await agentOnline(dir, env, 'web-2');
    await logIn(peer, wechat);
  }, 150_000);

  afterAll(async () => {
    await agent?.kill9();
    await wechat?.kill9();
    await other?.kill9();
    await redis?.cleanup();
    await db?.drop();
  });

  it('the result of a job run through the other server reaches WeChat through the WeChat server', async () => {
    await peer.say({ from: 'alice', to: ROOM, text: 'web-2 echo via-the-bus', mention: true });
    const result = await waitForSent(peer, (m) => /Job \w+ on web-2 succeeded/.test(m.text) && m.text.includes('via-the-bus'), 'the result via Redis');
    expect(result).toMatchObject({ conversationId: ROOM, mentionIdList: ['alice'] });
    expect(other.output()).not.toMatch(/WeChat/);
  });

  it('keeps a pending reply in the WeChat group while that server restarts, and sends it once after login', async () => {
    ({ server: wechat, peer } = await restartWhilePending({ dir, start: startWechat, server: wechat, peer, agentName: 'web-2' }));
  }, 150_000);
});
