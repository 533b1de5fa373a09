import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { inject } from 'vitest';
import { openWebChatTab, webId, webLogin, type WebChatTab } from '../../helpers/serve-web-client.js';
import { createTokenService } from '../../../src/auth/token-service.js';
import { systemClock } from '../../../src/core/clock.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { startAgent, startServe, type SkadiProcess } from '../../helpers/skadi-process.js';
import { startFakeSlackApi, type FakeSlackApi } from '../../helpers/slack-fake-api.js';
import { startFaultProxy, type Exchange, type FaultProxy } from './fault-proxy.js';
import { startPrivateMariaDb, type PrivateMariaDb } from './private-mariadb.js';
import { startPrivateRedis, type PrivateRedis, type PrivateRedisOptions } from './private-redis.js';
import { scratchDir, sleep, track, waitUntil } from './processes.js';

export const WEB_USER = { name: 'alice', token: `alice-${randomBytes(12).toString('hex')}` };
export const SLACK_USER = 'UALICE';
export const SLACK_CHANNEL = 'CFAULTS';

/** Settings every fault test's servers share: short deadlines so that a test sees the timers act. */
export const BASE_SERVER_ENV: Readonly<Record<string, string>> = {
  SKADI_DEMO_AGENT: 'false',
  SKADI_ACK_TIMEOUT: '3s',
  SKADI_TIMER_INTERVAL: '200ms',
  // Jobs take under 2 s; a job left running by a lost agent expires within the test.
  SKADI_JOB_TIMEOUT: '40s',
  SKADI_OFFLINE_AFTER: '60s',
  SKADI_LOG_LEVEL: 'info',
};

export interface FaultRigOptions {
  /** Name of the fault (the report's first column). */
  fault: string;
  /** Server processes sharing the database and Redis (default 2). */
  servers?: number;
  /** Agent names (default w1, w2); each reaches the servers through its own FaultProxy. */
  agents?: readonly string[];
  agentConcurrency?: number;
  redis?: PrivateRedisOptions;
  /** Extra SKADI_* settings of the servers. */
  serverEnv?: Record<string, string>;
  /** Also wire Slack (HTTP Events API) against a fake Slack Web API behind a FaultProxy. */
  slack?: boolean;
}

export interface ServerSlot {
  node: string;
  proc: SkadiProcess | null;
  url: string;
  /** Output of earlier runs of this slot (before a kill), for failure messages. */
  history: string;
}

export interface AgentSlot {
  name: string;
  token: string;
  /** The agent's network path to the servers: a load balancer that can also break. */
  link: FaultProxy;
  proc: SkadiProcess | null;
  history: string;
  /** Set by a test to cut the link after the next poll answers that carry jobs. */
  dropAfterJobs: { remaining: number; ms: number };
}

export interface ObserverTab {
  node: string;
  tab: WebChatTab;
  /** False once its server died: it missed what came after. */
  complete: boolean;
}

/**
 * One fault test's world: a private MariaDB and Redis, `skadi serve` processes on them, `skadi
 * agent` processes whose handler logs every run, browser-like web chat tabs watching the
 * replies, optionally Slack. Everything it starts, `close()` stops and deletes.
 */
export class FaultRig {
  readonly dir = scratchDir('skadi-faults-rig-');
  readonly runsLog = join(this.dir.path, 'runs.log');
  readonly conversation = webId('conv');
  readonly servers: ServerSlot[] = [];
  readonly agents = new Map<string, AgentSlot>();
  readonly observers: ObserverTab[] = [];
  db!: PrivateMariaDb;
  redis!: PrivateRedis;
  apiToken = '';
  slack: { fake: FakeSlackApi; link: FaultProxy; secret: string } | null = null;
  private readonly configPath = join(this.dir.path, 'skadi.yaml');
  private readonly cookies = new Map<string, string>();
  private closed = false;

  constructor(readonly options: FaultRigOptions) {}

  get agentNames(): string[] {
    return [...this.agents.keys()];
  }

  private serverEnv(slot: ServerSlot): Record<string, string> {
    return {
      ...BASE_SERVER_ENV,
      SKADI_DATABASE_URL: this.db.url,
      SKADI_REDIS_URL: this.redis.url,
      ...this.options.serverEnv,
      SKADI_NODE_ID: slot.node,
      SKADI_DATA_DIR: join(this.dir.path, `data-${slot.node}`),
    };
  }

  async start(): Promise<void> {
    const templateRoot = safeInject();
    [this.db, this.redis] = await Promise.all([startPrivateMariaDb({ templateRoot }), startPrivateRedis(this.options.redis)]);
    if (this.options.slack) {
      const fake = await startFakeSlackApi({ users: { [SLACK_USER]: 'Alice' } });
      const link = await startFaultProxy({ targets: () => [fake.apiUrl.replace(/\/api\/$/, '')] });
      this.slack = { fake, link, secret: `faults-${randomBytes(12).toString('hex')}` };
    }
    writeFileSync(this.configPath, this.configYaml());
    writeFileSync(
      join(this.dir.path, 'work.sh'),
      // $1: the load label, $2: seconds to work. One line per run (job id, label, start in epoch
      // ms), written before the work: a run that is killed half-way still counts.
      '#!/bin/sh\nprintf "%s %s %s\\n" "$SKADI_JOB_ID" "$1" "$(date +%s%3N)" >> "$RUNS_LOG"\nsleep "${2:-0.3}"\necho "done $1"\n',
    );
    const names = this.options.agents ?? ['w1', 'w2'];
    const tokens = await createCredentials(this.db.url, names);
    for (const name of names) {
      const link = await startFaultProxy({
        targets: () => this.knownServers().map((s) => s.url),
        cutAfter: (exchange) => this.cutAfter(name, exchange),
      });
      this.agents.set(name, { name, token: tokens.agents.get(name)!, link, proc: null, history: '', dropAfterJobs: { remaining: 0, ms: 0 } });
    }
    this.apiToken = tokens.api;

    const count = this.options.servers ?? 2;
    for (let i = 0; i < count; i++) this.servers.push({ node: `${this.options.fault.replace(/\W+/g, '-')}-${String.fromCharCode(97 + i)}`, proc: null, url: '', history: '' });
    await Promise.all(this.servers.map((_, i) => this.startServer(i)));
    for (const name of names) this.startAgentProcess(name);
    await this.waitAgentsOnline().catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${this.logs(6000)}`);
    });
    for (const slot of this.servers) {
      this.observers.push({ node: slot.node, tab: await openWebChatTab(slot.url, WEB_USER.name, WEB_USER.token, this.conversation), complete: true });
    }
  }

  private configYaml(): string {
    const slack = this.slack
      ? `slack:\n  mode: http\n  botToken: xoxb-faults\n  signingSecret: "${this.slack.secret}"\n  apiUrl: "${this.slack.link.url}/api/"\n  botUserId: UBOT\n  teamId: TFAKE\n`
      : '';
    return `web:
  users:
    - { name: ${WEB_USER.name}, token: ${WEB_USER.token} }
access:
  rules:
    - who: ["web:${WEB_USER.name}", "api:loadgen", "slack:TFAKE/${SLACK_USER}"]
      agents: ["*"]
      commands: ["*"]
${slack}`;
  }

  private cutAfter(agent: string, exchange: Exchange): number | null {
    const drop = this.agents.get(agent)?.dropAfterJobs;
    if (!drop || drop.remaining <= 0 || exchange.status !== 200 || !exchange.path.endsWith('/poll')) return null;
    const body = JSON.parse(exchange.body || '{}') as { jobs?: unknown[] };
    if (!body.jobs?.length) return null;
    drop.remaining--;
    return drop.ms;
  }

  /**
   * Every server address clients know, up or not: like a client or a load balancer, they find out
   * that one is down when it refuses the connection, and go to the next.
   */
  knownServers(): ServerSlot[] {
    return this.servers.filter((s) => s.url !== '');
  }

  async startServer(i: number): Promise<void> {
    const slot = this.servers[i]!;
    const proc = await startServe({ cwd: this.dir.path, args: ['--config', this.configPath], env: this.serverEnv(slot), timeoutMs: 60_000 });
    track(proc.proc);
    slot.proc = proc;
    slot.url = proc.url;
    this.cookies.delete(slot.node);
  }

  /** kill -9 of server `i`; its tab stops being a complete observer. */
  async killServer(i: number): Promise<void> {
    const slot = this.servers[i]!;
    if (!slot.proc) return;
    await slot.proc.kill9();
    slot.history += slot.proc.output();
    slot.proc = null;
    for (const o of this.observers) if (o.node === slot.node) o.complete = false;
  }

  startAgentProcess(name: string): void {
    const slot = this.agents.get(name)!;
    const yaml = `concurrency: ${this.options.agentConcurrency ?? 4}
handlers:
  work:
    argv: [sh, "${join(this.dir.path, 'work.sh')}", "{args}"]
    timeout: 60s
    env: { RUNS_LOG: "${this.runsLog}" }
`;
    const proc = startAgent({ server: slot.link.url, token: slot.token, configYaml: yaml, cwd: this.dir.path });
    track(proc.proc);
    slot.proc = proc;
  }

  async killAgent(name: string): Promise<void> {
    const slot = this.agents.get(name)!;
    if (!slot.proc) return;
    await slot.proc.kill9();
    slot.history += slot.proc.output();
    slot.proc = null;
  }

  async waitAgentsOnline(names = this.agentNames, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `agents ${names.join(', ')} online`,
      async () => {
        const rows = await this.db.query<RowDataPacket & { name: string; status: string }>('SELECT name, status FROM agents');
        return names.every((n) => rows.find((r) => r.name === n)?.status === 'online');
      },
      timeoutMs,
      200,
    );
  }

  /** The session cookie for the web chat on a server (logs in once per process run). */
  async cookie(slot: ServerSlot): Promise<string> {
    let cookie = this.cookies.get(slot.node);
    if (!cookie) {
      cookie = await webLogin(slot.url, WEB_USER.name, WEB_USER.token);
      this.cookies.set(slot.node, cookie);
    }
    return cookie;
  }

  forgetCookie(slot: ServerSlot): void {
    this.cookies.delete(slot.node);
  }

  /** Everything the processes wrote, for a failure message (the tail). */
  logs(max = 30_000): string {
    const parts: string[] = [];
    for (const s of this.servers) parts.push(`--- serve ${s.node}\n${(s.history + (s.proc?.output() ?? '')).slice(-max)}`);
    for (const a of this.agents.values()) parts.push(`--- agent ${a.name}\n${(a.history + (a.proc?.output() ?? '')).slice(-max)}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.observers) o.tab.close();
    // Agents first: a live agent keeps re-polling a server that is shutting down, which delays its exit.
    await Promise.allSettled([...this.agents.values()].map((a) => a.proc?.kill9()));
    await Promise.allSettled(this.servers.map((s) => s.proc?.stop(5000)));
    await Promise.allSettled([...[...this.agents.values()].map((a) => a.link.close()), this.slack?.link.close(), this.slack?.fake.close()]);
    await Promise.allSettled([this.db?.destroy(), this.redis?.destroy()]);
    // Handlers of killed agents may still be writing their last line.
    await sleep(50);
    this.dir.remove();
  }
}

/**
 * What `skadi agent add NAME` and `skadi token create loadgen` do (the same stores and token
 * service, migrations included), in this process: each CLI run costs seconds of module loading,
 * and the admin commands are not what a fault test is about.
 */
async function createCredentials(databaseUrl: string, agents: readonly string[]): Promise<{ agents: Map<string, string>; api: string }> {
  const stores = await createTypeormStores({ url: databaseUrl, migrate: true });
  try {
    const tokens = createTokenService({}, { tokens: stores.tokens, clock: systemClock });
    const out = new Map<string, string>();
    for (const name of agents) {
      await stores.agents.create({ name, labels: {}, createdAt: systemClock.now() });
      out.set(name, (await tokens.create('agent', name, `agent ${name}`)).token);
    }
    return { agents: out, api: (await tokens.create('user', 'api:loadgen', 'loadgen')).token };
  } finally {
    await stores.close();
  }
}

function safeInject(): string | undefined {
  try {
    return inject('faultsSuiteDir');
  } catch {
    return undefined;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory for the whole fault suite's run (the MariaDB data template); deleted at the end. */
    faultsSuiteDir: string;
  }
}
