import { describe, expect, it } from 'vitest';
import { SkadiError } from '../../src/core/index.js';
import { at, T0, uid, type StoresContext } from './stores-fixtures.js';

/** AgentStore, TokenStore and AuditStore. */
export function agentStoreContract(ctx: StoresContext): void {
  const agents = () => ctx.stores().agents;

  describe('AgentStore', () => {
    it('creates an agent offline with its labels, and refuses a second with the same name', async () => {
      const name = uid('web');
      const agent = await agents().create({ name, labels: { role: 'web', region: 'eu' }, createdAt: T0 });
      expect(agent).toEqual({ name, labels: { role: 'web', region: 'eu' }, status: 'offline', lastSeenAt: null, version: null, host: null, os: null, revokedAt: null, createdAt: T0 });
      expect(await agents().get(name)).toEqual(agent);
      const dup = agents().create({ name, labels: {}, createdAt: T0 });
      await expect(dup).rejects.toBeInstanceOf(SkadiError);
      await expect(dup).rejects.toMatchObject({ code: 'SKADI_AGENT_EXISTS', status: 409 });
      expect(await agents().get(uid('none'))).toBeNull();
    });

    it('lists agents by name', async () => {
      const names = [uid('b'), uid('a'), uid('c')];
      for (const name of names) await agents().create({ name, labels: {}, createdAt: T0 });
      const listed = (await agents().list()).map((a) => a.name).filter((n) => names.includes(n));
      expect(listed).toEqual([...names].sort());
    });

    it('checks in: returns the status before, records what the agent says, merges its labels over the admin ones', async () => {
      const name = uid('db');
      await agents().create({ name, labels: { role: 'db', host: 'admin-set' }, createdAt: T0 });
      expect(await agents().checkIn(uid('ghost'), { at: at(1) })).toBeNull();
      expect(await agents().checkIn(name, { at: at(1_000), version: '1.2.3', host: 'db-1', os: 'linux', labels: { host: 'db-1', zone: 'b' } })).toBe('offline');
      expect(await agents().get(name)).toMatchObject({
        status: 'online',
        lastSeenAt: at(1_000),
        version: '1.2.3',
        host: 'db-1',
        os: 'linux',
        labels: { role: 'db', host: 'db-1', zone: 'b' },
      });
      // Fields not reported stay as they were.
      expect(await agents().checkIn(name, { at: at(2_000) })).toBe('online');
      expect(await agents().get(name)).toMatchObject({ lastSeenAt: at(2_000), version: '1.2.3', labels: { role: 'db', host: 'db-1', zone: 'b' } });
      await agents().setLabels(name, { role: 'primary' });
      expect((await agents().get(name))!.labels).toEqual({ role: 'primary', host: 'db-1', zone: 'b' });
      await expect(agents().setLabels(uid('ghost'), {})).rejects.toMatchObject({ code: 'SKADI_AGENT_NOT_FOUND' });
    });

    it('patches only the admin labels: what the agent reports is never copied into them', async () => {
      const name = uid('patch');
      await agents().create({ name, labels: { role: 'db', tier: 'gold' }, createdAt: T0 });
      await agents().checkIn(name, { at: at(1_000), labels: { host: 'db-1', zone: 'b' } });
      expect(await agents().patchLabels(name, { region: 'eu' }, ['tier'])).toEqual({ admin: { role: 'db', region: 'eu' }, reported: { host: 'db-1', zone: 'b' } });
      expect((await agents().get(name))!.labels).toEqual({ role: 'db', region: 'eu', host: 'db-1', zone: 'b' });
      // The agent stops reporting zone: it is gone, not left behind as an admin label.
      await agents().checkIn(name, { at: at(2_000), labels: { host: 'db-1' } });
      expect((await agents().get(name))!.labels).toEqual({ role: 'db', region: 'eu', host: 'db-1' });
      // Two admins at once: neither change is lost.
      await Promise.all([agents().patchLabels(name, { a: '1' }, []), agents().patchLabels(name, { b: '2' }, [])]);
      expect((await agents().patchLabels(name, {}, [])).admin).toEqual({ role: 'db', region: 'eu', a: '1', b: '2' });
      await expect(agents().patchLabels(uid('ghost'), {}, [])).rejects.toMatchObject({ code: 'SKADI_AGENT_NOT_FOUND' });
    });

    it('marks an agent offline only if it is online and was last seen before the cut-off', async () => {
      const name = uid('off');
      await agents().create({ name, labels: {}, createdAt: T0 });
      expect(await agents().markOffline(name, at(10_000))).toBe(false); // never online
      await agents().checkIn(name, { at: at(5_000) });
      expect(await agents().markOffline(name, at(5_000))).toBe(false); // seen at the cut-off: still fresh
      expect((await agents().findStale(at(6_000), 1000)).map((a) => a.name)).toContain(name);
      expect((await agents().findStale(at(5_000), 1000)).map((a) => a.name)).not.toContain(name);
      expect(await agents().markOffline(name, at(6_000))).toBe(true);
      expect(await agents().markOffline(name, at(6_000))).toBe(false);
      expect((await agents().get(name))!.status).toBe('offline');
      expect((await agents().findStale(at(6_000), 1000)).map((a) => a.name)).not.toContain(name);
      expect(await agents().checkIn(name, { at: at(7_000) })).toBe('offline');
    });

    it('reports "came back" to exactly one of several concurrent check-ins', async () => {
      const name = uid('cb');
      await agents().create({ name, labels: {}, createdAt: T0 });
      const other = await ctx.open();
      try {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : ctx.stores()).agents.checkIn(name, { at: at(i) })));
        expect(results.filter((r) => r === 'offline')).toHaveLength(1);
        expect(results.filter((r) => r === 'online')).toHaveLength(7);
      } finally {
        await other.close();
      }
    });

    it('revokes once', async () => {
      const name = uid('rv');
      await agents().create({ name, labels: {}, createdAt: T0 });
      expect(await agents().revoke(name, at(1))).toBe(true);
      expect(await agents().revoke(name, at(2))).toBe(false);
      expect((await agents().get(name))!.revokedAt).toEqual(at(1));
      expect(await agents().revoke(uid('ghost'), at(1))).toBe(false);
    });
  });

  describe('TokenStore', () => {
    const tokens = () => ctx.stores().tokens;

    it('creates, reads, lists by kind and revokes tokens', async () => {
      const subject = uid('agent');
      const id = uid('skd_Ab');
      await tokens().create({ id, kind: 'agent', subject, name: 'first', hash: 'a'.repeat(64), createdAt: T0 });
      // Token ids differ by case only: two tokens, not one.
      const lower = id.replace('skd_Ab', 'skd_ab');
      await tokens().create({ id: lower, kind: 'agent', subject, name: 'second', hash: 'b'.repeat(64), createdAt: at(1) });
      const user = uid('skd_u');
      await tokens().create({ id: user, kind: 'user', subject: 'api:ci', name: 'ci', hash: 'c'.repeat(64), createdAt: at(2) });
      expect(await tokens().get(id)).toEqual({ id, kind: 'agent', subject, name: 'first', hash: 'a'.repeat(64), createdAt: T0, revokedAt: null, lastUsedAt: null });
      expect((await tokens().get(lower))!.name).toBe('second');
      expect(await tokens().get(uid('none'))).toBeNull();
      const agentTokens = (await tokens().list('agent')).filter((t) => t.subject === subject);
      expect(agentTokens.map((t) => t.name)).toEqual(['first', 'second']);
      expect((await tokens().list('user')).some((t) => t.id === user)).toBe(true);
      expect((await tokens().list()).some((t) => t.id === user)).toBe(true);
      expect(await tokens().revoke(id, at(5))).toBe(true);
      expect(await tokens().revoke(id, at(6))).toBe(false);
      expect((await tokens().get(id))!.revokedAt).toEqual(at(5));
      expect(await tokens().revokeAllOf('agent', subject, at(7))).toBe(1); // `lower`; `id` already revoked
      expect(await tokens().revokeAllOf('agent', subject, at(8))).toBe(0);
      expect((await tokens().get(user))!.revokedAt).toBeNull();
    });
  });

  describe('AuditStore', () => {
    const audit = () => ctx.stores().audit;

    it('appends entries and lists them newest first, optionally by actor', async () => {
      const actor = uid('web:alice');
      await audit().append({ at: at(1), actor, action: 'job.submit', target: 'web-1', decision: 'allow', detail: { message: 'uptime', n: 1, nested: { ok: true } } });
      await audit().append({ at: at(2), actor, action: 'job.submit', target: null, decision: 'deny', detail: null });
      await audit().append({ at: at(3), actor: uid('other'), action: 'agent.add', target: 'db-1', decision: 'info', detail: null });
      const mine = await audit().list(10, actor);
      expect(mine).toHaveLength(2);
      expect(mine[0]).toMatchObject({ at: at(2), actor, decision: 'deny', target: null, detail: null });
      expect(mine[1]).toMatchObject({ at: at(1), decision: 'allow', target: 'web-1', detail: { message: 'uptime', n: 1, nested: { ok: true } } });
      expect(typeof mine[0]!.id).toBe('number');
      expect(mine[0]!.id).toBeGreaterThan(mine[1]!.id);
      const latest = await audit().list(1);
      expect(latest).toHaveLength(1);
      expect(latest[0]!.action).toBe('agent.add');
    });
  });
}
