import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Agent, type EventAgentStatusPayload, type Stores } from '../../../src/core/index.js';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { createTokenService, type TokenService } from '../../../src/auth/token-service.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { registerEventStream } from '../../../src/http/event-stream-route.js';
import { createEventFanout, type EventFanout } from '../../../src/watch/event-fanout.js';
import { registerWatchCommand } from '../../../src/cli/watch-command.js';
import { testAgent } from '../../helpers/memory-jobs-api.js';
import { eventually } from '../../helpers/skadi-process.js';

const AGENTS = new Map<string, Agent>([
  ['web-1', testAgent('web-1', { labels: { role: 'web' } })],
  ['web-2', testAgent('web-2', { labels: { role: 'web' } })],
  ['db-1', testAgent('db-1', { labels: { role: 'db' } })],
]);
const agents = { getAgent: async (name: string) => AGENTS.get(name) ?? null, listAgents: async () => [...AGENTS.values()] };
const change = (agent: string, to: 'online' | 'offline'): EventAgentStatusPayload => ({ agent, from: to === 'online' ? 'offline' : 'online', to, at: '2026-03-01T12:00:00.000Z', lastSeenAt: '2026-03-01T11:57:00.000Z', version: '1.0.0' });

/** `skadi watch` against GET /api/v1/events: filtering, reconnecting, resuming with Last-Event-ID. */
describe('skadi watch and GET /api/v1/events', () => {
  const bus = createInProcessBus();
  let stores: Stores;
  let tokens: TokenService;
  let fanout: EventFanout;
  let token: string;

  async function serve(port = 0): Promise<{ app: FastifyInstance; url: string }> {
    const app = createHttpServer({ bodyLimit: 65536, logger: silentLogger });
    registerEventStream(app, { fanout, tokens, agents, logger: silentLogger, heartbeatMs: 200 });
    await app.listen({ host: '127.0.0.1', port });
    const address = app.server.address();
    return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}` };
  }

  function watch(url: string, args: string[], secret = token) {
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const program = new Command().exitOverride();
    registerWatchCommand(program, { target: () => ({ server: url, token: secret }), out: (l) => out.push(l), err: (l) => err.push(l), signal: stop.signal });
    const done = program.parseAsync(['node', 'skadi', 'watch', ...args]);
    return { out, err, stop: () => stop.abort(), done };
  }

  beforeAll(async () => {
    stores = await createTypeormStores({ url: 'sqlite::memory:', migrate: true });
    tokens = createTokenService({ cacheMs: 0 }, { tokens: stores.tokens, clock: { now: () => new Date() } });
    token = (await tokens.create('user', 'api:ops', 'ops')).token;
    fanout = createEventFanout({ group: 'watch-live:test' }, { bus, logger: silentLogger });
  });
  afterAll(async () => {
    await fanout.close();
    await stores.close();
  });

  it('prints matching events live, reconnects when the server goes away and gets what it missed', async () => {
    const first = await serve();
    const port = Number(new URL(first.url).port);
    const w = watch(first.url, ['--selector', 'role=web']);
    await eventually(() => w.err.some((l) => l.startsWith('watching')), 10_000, 'watch connected');

    await bus.publish('EventAgentStatus', change('db-1', 'offline'), 'e1'); // filtered out by the selector
    await bus.publish('EventAgentStatus', change('web-1', 'offline'), 'e2');
    await eventually(() => w.out.length === 1, 5000, 'first event printed');
    expect(w.out[0]).toBe('2026-03-01T12:00:00.000Z  agent web-1 is offline (last seen 2026-03-01T11:57:00.000Z, version 1.0.0)');

    await first.app.close();
    await eventually(() => w.err.some((l) => l.startsWith('connection lost')), 5000, 'drop noticed');
    await bus.publish('EventAgentStatus', change('web-2', 'offline'), 'e3'); // while nobody listens here
    const second = await serve(port);
    await eventually(() => w.err.includes('reconnected'), 10_000, 'reconnected');
    await eventually(() => w.out.length === 2, 5000, 'missed event replayed');
    expect(w.out[1]).toContain('agent web-2 is offline');

    await bus.publish('EventAgentStatus', change('web-1', 'online'), 'e4');
    await eventually(() => w.out.length === 3, 5000, 'live again');
    expect(w.out[2]).toContain('agent web-1 is back online (version 1.0.0)');
    w.stop();
    await w.done;
    await second.app.close();
  });

  it('prints JSON with --json and job events when asked for them', async () => {
    const { app, url } = await serve();
    const w = watch(url, ['--json', '--types', 'EventJobStatus']);
    await eventually(() => w.err.some((l) => l.startsWith('watching')), 10_000, 'watch connected');
    await bus.publish('EventAgentStatus', change('web-1', 'offline'), 'j0');
    await bus.publish('EventJobStatus', { jobId: 'k1', agent: 'web-1', from: 'running', to: 'succeeded', reason: null, at: 'x', version: 4, attempt: 1, platform: null }, 'k1:4');
    await eventually(() => w.out.length === 1, 5000, 'job event');
    expect(JSON.parse(w.out[0]!)).toMatchObject({ id: 'k1:4', name: 'EventJobStatus', payload: { jobId: 'k1', to: 'succeeded' } });
    w.stop();
    await w.done;
    await app.close();
  });

  it('stops with the error when the token is refused or the selector does not parse', async () => {
    const { app, url } = await serve();
    await expect(watch(url, [], 'skadi_usr_nope').done).rejects.toMatchObject({ code: 'SKADI_UNAUTHENTICATED' });
    await expect(watch(url, ['--selector', 'role in (web']).done).rejects.toMatchObject({ code: 'SKADI_BAD_REQUEST', details: { position: 12 } });
    await expect(watch(url, ['--types', 'EventMessage']).done).rejects.toMatchObject({ code: 'SKADI_BAD_REQUEST' });
    await app.close();
  });
});
