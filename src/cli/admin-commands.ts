import type { Command } from 'commander';
import { SkadiError } from '../core/errors.js';
import { parseSelector, selectorMatches } from '../core/selector.js';
import { systemClock } from '../core/clock.js';
import type { Stores } from '../core/stores.js';
import { createTokenService } from '../auth/token-service.js';
import { agentJson } from '../http/resource-json.js';
import type { SkadiConfig } from '../config/skadi-config.js';
import { announceRevocation } from './announce-revocation.js';

export interface AdminContext {
  /** Opens the configured database (running migrations), for the admin commands. */
  openStores(): Promise<{ stores: Stores; config: Readonly<SkadiConfig> }>;
  /** Throws SKADI_AGENT_NAME_INVALID when a name collides with a chat command. */
  checkAgentName(name: string): void;
}

function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

function parseLabels(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_./-]{0,62})=(.{0,255})$/.exec(pair);
    if (!m) throw new SkadiError('SKADI_BAD_REQUEST', `label ${JSON.stringify(pair)} must be key=value (key: letters, digits, _ . / -)`);
    labels[m[1]!] = m[2]!;
  }
  return labels;
}

async function withStores<T>(ctx: AdminContext, fn: (stores: Stores, config: Readonly<SkadiConfig>) => Promise<T>): Promise<T> {
  const { stores, config } = await ctx.openStores();
  try {
    return await fn(stores, config);
  } finally {
    await stores.close();
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Admin commands that work on the database directly: agents, tokens, migrations. */
export function registerAdminCommands(program: Command, agentCmd: Command, ctx: AdminContext): void {
  agentCmd
    .command('add')
    .description('create an agent and print its token (shown once)')
    .argument('<name>', 'agent name: a-z, 0-9, - and _')
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .action(async (name: string, opts: { label: string[] }) => {
      ctx.checkAgentName(name);
      const labels = parseLabels(opts.label);
      await withStores(ctx, async (stores) => {
        await stores.agents.create({ name, labels, createdAt: systemClock.now() });
        const { token } = await createTokenService({}, { tokens: stores.tokens, clock: systemClock }).create('agent', name, `agent ${name}`);
        await stores.audit.append({ at: systemClock.now(), actor: 'cli', action: 'agent.add', target: name, decision: 'info', detail: { labels } });
        console.error(`agent ${name} created; its token (shown only now):`);
        console.log(token);
      });
    });

  agentCmd
    .command('list')
    .description('list agents with their status')
    .option('-s, --selector <selector>', 'only agents matching a selector: web-*, role=web,region=eu, role in (web,api), !canary')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; selector?: string }) => {
      const selector = opts.selector ? parseSelector(opts.selector) : null;
      await withStores(ctx, async (stores, config) => {
        const now = systemClock.now();
        const agents = (await stores.agents.list()).filter((a) => !selector || selectorMatches(selector, a)).map((a) => agentJson(a, now, config.agents.offlineAfterMs));
        if (opts.json) return console.log(JSON.stringify(agents));
        if (!agents.length) return console.error(selector ? `no agent matches ${opts.selector}` : 'no agents yet: create one with `skadi agent add NAME`');
        for (const a of agents) console.log([a.name.padEnd(16), a.status.padEnd(8), (a.lastSeenAt ?? 'never').padEnd(24), (a.version ?? '-').padEnd(10), Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',')].join(' '));
      });
    });

  agentCmd
    .command('label')
    .description('set labels of an agent (key=value), or remove them (key-)')
    .argument('<name>')
    .argument('<labels...>', 'key=value to set, key- to remove')
    .action(async (name: string, pairs: string[]) => {
      const set: Record<string, string> = {};
      const remove: string[] = [];
      for (const pair of pairs) {
        if (pair.endsWith('-') && !pair.includes('=')) remove.push(pair.slice(0, -1));
        else Object.assign(set, parseLabels([pair]));
      }
      await withStores(ctx, async (stores) => {
        // Only the admin's labels change: what the agent reports stays its own (and wins on read).
        const { admin, reported } = await stores.agents.patchLabels(name, set, remove);
        await stores.audit.append({ at: systemClock.now(), actor: 'cli', action: 'agent.label', target: name, decision: 'info', detail: { set, remove, labels: admin } });
        console.log(formatLabels(admin));
        const shadowed = Object.keys(reported).filter((key) => key in set || remove.includes(key));
        if (shadowed.length) console.error(`note: ${name} reports ${shadowed.map((key) => `${key}=${reported[key]}`).join(',')} from its own config, which wins over admin labels for the same key`);
      });
    });

  agentCmd
    .command('revoke')
    .description('revoke an agent and all its tokens; it can take no more jobs')
    .argument('<name>')
    .action(async (name: string) => {
      await withStores(ctx, async (stores, config) => {
        if (!(await stores.agents.revoke(name, systemClock.now()))) throw new SkadiError('SKADI_AGENT_NOT_FOUND', `no agent named ${name}`);
        const n = await stores.tokens.revokeAllOf('agent', name, systemClock.now());
        await announceRevocation(config, '*');
        await stores.audit.append({ at: systemClock.now(), actor: 'cli', action: 'agent.revoke', target: name, decision: 'info', detail: { tokens: n } });
        console.error(`agent ${name} revoked (${n} token${n === 1 ? '' : 's'})`);
      });
    });

  agentCmd
    .command('token')
    .description('create another token for an existing agent (e.g. to rotate); prints it once')
    .argument('<name>')
    .action(async (name: string) => {
      await withStores(ctx, async (stores) => {
        const agent = await stores.agents.get(name);
        if (!agent || agent.revokedAt) throw new SkadiError('SKADI_AGENT_NOT_FOUND', `no active agent named ${name}`);
        const { token } = await createTokenService({}, { tokens: stores.tokens, clock: systemClock }).create('agent', name, `agent ${name}`);
        console.log(token);
      });
    });

  const token = program.command('token').description('user API tokens for CI/CD and scripts');
  token
    .command('create')
    .description('create a user API token and print it (shown once)')
    .argument('<name>', 'a name for the token, e.g. ci')
    .option('--identity <identity>', 'access-control identity the token acts as (default api:<name>)')
    .action(async (name: string, opts: { identity?: string }) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new SkadiError('SKADI_BAD_REQUEST', 'token name: 1-64 characters of letters, digits, . _ -');
      const identity = opts.identity ?? `api:${name}`;
      await withStores(ctx, async (stores) => {
        const { id, token: secret } = await createTokenService({}, { tokens: stores.tokens, clock: systemClock }).create('user', identity, name);
        await stores.audit.append({ at: systemClock.now(), actor: 'cli', action: 'token.create', target: id, decision: 'info', detail: { identity } });
        console.error(`token ${id} created for ${identity}; shown only now:`);
        console.log(secret);
      });
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStores(ctx, async (stores) => {
        const rows = (await stores.tokens.list()).map((t) => ({ id: t.id, kind: t.kind, subject: t.subject, name: t.name, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null }));
        if (opts.json) return console.log(JSON.stringify(rows));
        for (const t of rows) console.log([t.id, t.kind.padEnd(5), t.subject.padEnd(20), t.revokedAt ? `revoked ${t.revokedAt}` : 'active'].join('  '));
      });
    });
  token
    .command('revoke')
    .description('revoke a token by its id')
    .argument('<id>')
    .action(async (id: string) => {
      await withStores(ctx, async (stores, config) => {
        if (!(await stores.tokens.revoke(id, systemClock.now()))) throw new SkadiError('SKADI_TOKEN_NOT_FOUND', `no token ${id}`);
        await announceRevocation(config, id);
        await stores.audit.append({ at: systemClock.now(), actor: 'cli', action: 'token.revoke', target: id, decision: 'info', detail: null });
        console.error(`token ${id} revoked`);
      });
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      await withStores(ctx, async (_stores, config) => {
        console.error(`database ${config.database.url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@')} is up to date`);
      });
    });
}
