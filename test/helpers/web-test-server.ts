import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { createWebAdapter, type WebAdapterOptions } from '../../adapters/web/web-adapter.js';
import { silentLogger, systemClock, type ChatAdapter, type Clock, type EventBus, type Logger } from '../../src/core/index.js';
import { createFakeJobsApi, type FakeJobsApi } from './web-fake-jobs.js';

export interface WebTestUser {
  name: string;
  token: string;
}

export interface WebTestServer {
  url: string;
  app: FastifyInstance;
  adapter: ChatAdapter;
  jobs: FakeJobsApi;
  /** Logs in over HTTP and returns the Cookie header value to send. */
  login(user: string, token: string): Promise<string>;
  close(): Promise<void>;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface WebTestServerInput {
  users: WebTestUser[];
  options?: Partial<WebAdapterOptions>;
  jobs?: FakeJobsApi;
  bus?: EventBus;
  clock?: Clock;
  logger?: Logger;
  /** Listen on a real socket (event streams, browsers); without it, use app.inject. */
  listen?: boolean;
}

/** The web plugin on its own fastify instance, as the lead's server registers it. */
export async function startWebServer(input: WebTestServerInput): Promise<WebTestServer> {
  const jobs = input.jobs ?? createFakeJobsApi();
  const { adapter, plugin } = createWebAdapter(
    { users: input.users.map((u) => ({ name: u.name, tokenHash: sha256(u.token) })), ...input.options },
    { jobs, bus: input.bus, clock: input.clock ?? systemClock, logger: input.logger ?? silentLogger },
  );
  const app = Fastify({ logger: false });
  await app.register(plugin);
  let url = '';
  if (input.listen !== false) url = await app.listen({ host: '127.0.0.1', port: 0 });
  else await app.ready();
  return {
    url,
    app,
    adapter,
    jobs,
    async login(user, token) {
      const res = await fetch(`${url}/web/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, token }) });
      if (res.status !== 200) throw new Error(`login as ${user} failed: ${res.status} ${await res.text()}`);
      const cookie = res.headers.get('set-cookie') ?? '';
      return cookie.split(';')[0]!;
    },
    async close() {
      await adapter.stop();
      await app.close();
    },
  };
}
