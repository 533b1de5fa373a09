import { generateKeyPairSync } from 'node:crypto';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateTeamsConfig, type TeamsConfig } from '../../../../adapters/teams/teams-config.js';
import { createTeamsPlatform } from '../../../../adapters/teams/teams-platform.js';
import { createDispatcher } from '../../../../src/chat/dispatcher.js';
import { silentLogger, systemClock, type MessageSink, type PlatformDeps } from '../../../../src/core/index.js';
import { chatFixture, type ChatFixture } from '../../../helpers/chat-fixture.js';
import { MemoryKeyValueStore } from '../../../helpers/memory-kv.js';
import { TEST_APP_ID, TEST_TENANT, postActivity, teamsMessage } from '../../../helpers/teams-activities.js';
import { startFakeConnector, type FakeConnector } from '../../../helpers/teams-fake-connector.js';
import { startTeamsBot, type TeamsBot } from '../../../helpers/teams-test-server.js';

const ALICE = '6c4b2f0e-9a1d-4e3b-8f7c-2d5a6b8c9e01';
const CONFIG: TeamsConfig = validateTeamsConfig({ appId: TEST_APP_ID, appPassword: 'test-client-secret', tenantId: TEST_TENANT });

let connector: FakeConnector;
let f: ChatFixture;
let sink: MessageSink;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  connector = await startFakeConnector();
  f = chatFixture({ groups: {}, rules: [{ who: [`teams:${ALICE}`], agents: ['local'], commands: ['*'] }] });
  f.jobs.addAgent('local');
  sink = createDispatcher({}, { jobs: f.jobs, commands: f.registry, access: f.access, audit: f.audit, kv: new MemoryKeyValueStore(f.clock), publish: async () => undefined, reply: async () => undefined, clock: f.clock, logger: silentLogger });
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0)) await close();
  await connector.close();
});

/** The bot with authentication on, its token keys published by the fake connector. */
async function authenticatedBot(): Promise<TeamsBot> {
  const bot = await startTeamsBot({ config: CONFIG, openIdMetadataUrl: connector.openIdMetadataUrl });
  closers.push(() => bot.close());
  await bot.adapter.start(sink);
  return bot;
}

function activity() {
  return teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE });
}

describe('Bot Framework authentication of /api/messages', () => {
  it('the platform as `skadi serve` builds it refuses a request without a token: 401, no job', async () => {
    const platform = await createTeamsPlatform(CONFIG, { clock: systemClock, logger: silentLogger } as unknown as PlatformDeps);
    const app = Fastify({ logger: false });
    await app.register(platform.plugin!);
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    await platform.adapter.start(sink);
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const res = await postActivity(url, activity());
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'SKADI_UNAUTHENTICATED' });
    const garbage = await postActivity(url, activity(), 'not-a-jwt');
    expect(garbage.status).toBe(401);
    expect(f.jobs.submitted).toHaveLength(0);
    expect(connector.records).toHaveLength(0);
  });

  it('accepts a token the Bot Framework signed for this app id and creates the job', async () => {
    const bot = await authenticatedBot();
    const res = await postActivity(bot.url, activity(), connector.token({ audience: TEST_APP_ID }));
    expect(res.status).toBe(200);
    expect(f.jobs.submitted).toHaveLength(1);
  });

  it('refuses forged, misaddressed, expired and mismatched tokens: 401, no job', async () => {
    const bot = await authenticatedBot();
    // The SDK writes rejected signatures and expiries to console.error itself; keep the output readable.
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cases: Array<[string, string]> = [
      ['signed with another key', connector.forgedToken({ audience: TEST_APP_ID })],
      ['for another bot', connector.token({ audience: '00000000-0000-4000-8000-000000000000' })],
      ['expired', connector.token({ audience: TEST_APP_ID, expiresIn: -3600 })],
      ['for another service URL', connector.token({ audience: TEST_APP_ID, serviceUrl: 'https://attacker.example/' })],
      ['from another issuer', connector.token({ audience: TEST_APP_ID, issuer: 'https://evil.example' })],
    ];
    for (const [what, token] of cases) {
      const res = await postActivity(bot.url, activity(), token);
      expect(res.status, what).toBe(401);
    }
    expect((await postActivity(bot.url, activity())).status).toBe(401);
    expect(f.jobs.submitted).toHaveLength(0);
  });

  it('builds with certificate credentials instead of a password', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = validateTeamsConfig({ appId: TEST_APP_ID, tenantId: TEST_TENANT, certificateThumbprint: 'AB12CD34EF56', certificatePrivateKey: key });
    const bot = await startTeamsBot({ config, openIdMetadataUrl: connector.openIdMetadataUrl });
    closers.push(() => bot.close());
    await bot.adapter.start(sink);
    expect((await postActivity(bot.url, activity())).status).toBe(401);
    expect((await postActivity(bot.url, activity(), connector.token({ audience: TEST_APP_ID }))).status).toBe(200);
  });
});
