import { describe, expect, it } from 'vitest';
import type { AgentJson } from '../../../src/cli/api-client.js';
import { createAgentCache, createShellCompleter, type Completion } from '../../../src/cli/shell-completer.js';
import { SHELL_COMMAND_WORDS } from '../../../src/cli/shell-commands.js';

const agent = (name: string, labels: Record<string, string>): AgentJson => ({ name, labels, online: true, status: 'online', lastSeenAt: null, version: '1.0.0' });
const FLEET = [agent('web-1', { role: 'web', region: 'eu' }), agent('web-2', { role: 'web', region: 'us' }), agent('db-1', { role: 'db', region: 'eu', canary: 'yes' }), agent('worker-9', { role: 'worker' })];

function completerOver(load: () => Promise<AgentJson[]>) {
  return createShellCompleter({ commands: SHELL_COMMAND_WORDS, agents: createAgentCache(load, { ttlMs: 60_000 }) });
}
const fleet = completerOver(async () => FLEET);

describe('shell completer', () => {
  it('completes command names for the first word', async () => {
    expect(await fleet.complete('')).toEqual([SHELL_COMMAND_WORDS, '']);
    expect(await fleet.complete('s')).toEqual([['send', 'status'], 's']);
    expect(await fleet.complete('wa')).toEqual([['watch'], 'wa']);
    expect(await fleet.complete('qu')).toEqual([['quit'], 'qu']);
    expect(await fleet.complete('xyz')).toEqual([[], 'xyz']);
    expect(await fleet.complete('help ca')).toEqual([['cancel'], 'ca']);
  });

  it('completes agent names and label keys after use, list and agents', async () => {
    expect(await fleet.complete('use web')).toEqual([['web-1', 'web-2'], 'web']);
    expect(await fleet.complete('use wo')).toEqual([['worker-9'], 'wo']);
    expect(await fleet.complete('use r')).toEqual([['region=', 'role='], 'r']);
    expect(await fleet.complete('list d')).toEqual([['db-1'], 'd']);
    expect(await fleet.complete('agents c')).toEqual([['canary='], 'c']);
    expect((await fleet.complete('use '))[0]).toEqual(['canary=', 'db-1', 'region=', 'role=', 'web-1', 'web-2', 'worker-9']);
  });

  it('completes label values after key= and key!=, including a partial value', async () => {
    expect(await fleet.complete('use role=')).toEqual([['role=db', 'role=web', 'role=worker'], 'role=']);
    expect(await fleet.complete('use role=w')).toEqual([['role=web', 'role=worker'], 'role=w']);
    expect(await fleet.complete('use role=wo')).toEqual([['role=worker'], 'role=wo']);
    expect(await fleet.complete('use region!=e')).toEqual([['region!=eu'], 'region!=e']);
    expect(await fleet.complete('use nope=')).toEqual([[], 'nope=']);
  });

  it('completes the term after the last comma, and !key', async () => {
    expect(await fleet.complete('use role=web,reg')).toEqual([['region='], 'reg']);
    expect(await fleet.complete('use role=web, region=u')).toEqual([['region=us'], 'region=u']);
    expect(await fleet.complete('use !ca')).toEqual([['!canary'], '!ca']);
  });

  it('completes job filters after jobs, and nothing after send', async () => {
    expect(await fleet.complete('jobs state=f')).toEqual([['state=failed'], 'state=f']);
    expect(await fleet.complete('jobs l')).toEqual([['limit='], 'l']);
    expect((await fleet.complete('send ec'))[0]).toEqual([]);
  });

  it('never throws when the server is down: commands still complete, agents give nothing', async () => {
    const down = completerOver(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(await down.complete('use we')).toEqual([[], 'we']);
    expect(await down.complete('li')).toEqual([['list'], 'li']);
    const result = await new Promise<Completion>((resolve) => down.readline('use role=w', (_err, r) => resolve(r)));
    expect(result).toEqual([[], 'role=w']);
  });

  it('caches the agents briefly, refreshes after the TTL, and keeps the last list when a refresh fails', async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const cache = createAgentCache(
      async () => {
        calls++;
        if (fail) throw new Error('down');
        return calls === 1 ? FLEET : [...FLEET, agent('new-1', {})];
      },
      { ttlMs: 1000, now: () => now },
    );
    const c = createShellCompleter({ commands: SHELL_COMMAND_WORDS, agents: cache });
    expect((await c.complete('use n'))[0]).toEqual([]);
    now = 500;
    expect((await c.complete('use n'))[0]).toEqual([]);
    expect(calls).toBe(1);
    now = 1500;
    expect((await c.complete('use n'))[0]).toEqual(['new-1']);
    expect(calls).toBe(2);
    fail = true;
    now = 3000;
    expect((await c.complete('use n'))[0]).toEqual(['new-1']);
    expect(calls).toBe(3);
  });
});
