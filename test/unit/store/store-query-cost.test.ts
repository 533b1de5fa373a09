import type { Logger as TypeOrmLogger } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../../src/core/index.js';
import { createDataSource } from '../../../src/store/create-data-source.js';
import { runMigrations } from '../../../src/store/run-migrations.js';
import { storesOver } from '../../../src/store/stores-over.js';

const T = new Date('2031-01-01T00:00:00.000Z');

// The hot paths are run on every agent poll; their cost in statements is part of the design.
describe('store query cost', () => {
  let queries: string[];
  let stores: Stores;

  beforeEach(async () => {
    queries = [];
    const logger: TypeOrmLogger = {
      logQuery: (query) => void queries.push(query),
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    const dataSource = await createDataSource('sqlite::memory:', { logger });
    await runMigrations(dataSource);
    stores = storesOver(dataSource);
    queries.length = 0;
  });

  afterEach(async () => {
    await stores.close();
  });

  it('an idle poll (nothing queued) is one SELECT', async () => {
    expect(await stores.jobs.claimQueued('web-1', 5, () => 'lease', T, T, T)).toEqual([]);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^SELECT .* FROM "jobs" .*WHERE .*"agent" = \? AND .*"state" = \?/);
  });

  it('the check-in of an online agent is one UPDATE', async () => {
    await stores.agents.create({ name: 'web-1', labels: {}, createdAt: T });
    await stores.agents.checkIn('web-1', { at: T });
    queries.length = 0;
    expect(await stores.agents.checkIn('web-1', { at: T })).toBe('online');
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^UPDATE "agents"/);
  });

  it('claiming one job is a SELECT and one transaction of UPDATE + outbox INSERT', async () => {
    await stores.jobs.create(
      {
        id: 'job000000001',
        agent: 'web-1',
        message: 'uptime',
        requester: { identity: 'web:alice' },
        thread: null,
        state: 'queuing',
        reason: null,
        timeoutMs: 1000,
        expiresAt: new Date(T.getTime() + 60_000),
        parentId: null,
        createdAt: T,
      },
      T,
    );
    queries.length = 0;
    expect(await stores.jobs.claimQueued('web-1', 5, () => 'lease', T, T, T)).toHaveLength(1);
    expect(queries.map((q) => q.split(' ')[0])).toEqual(['SELECT', 'BEGIN', 'UPDATE', 'INSERT', 'COMMIT']);
  });

  it('claiming a job this store just created, named by the wake-up, is one transaction and no SELECT', async () => {
    const job = (id: string, at: number) => ({
      id,
      agent: 'web-1',
      message: 'uptime',
      requester: { identity: 'web:alice' },
      thread: null,
      state: 'queuing' as const,
      reason: null,
      timeoutMs: 1000,
      expiresAt: new Date(T.getTime() + 60_000),
      parentId: null,
      createdAt: new Date(T.getTime() + at),
    });
    await stores.jobs.create(job('job000000001', 0), T);
    await stores.jobs.create(job('job000000002', 1), T);
    queries.length = 0;
    const [first] = await stores.jobs.claimQueued('web-1', 5, () => 'lease', T, T, T, ['job000000002']);
    expect(first?.job).toMatchObject({ id: 'job000000002', state: 'sent', leaseId: 'lease', version: 2 });
    expect(queries.map((q) => q.split(' ')[0])).toEqual(['BEGIN', 'UPDATE', 'INSERT', 'COMMIT']);
    // A named job already handed out: the queue is searched as usual.
    queries.length = 0;
    const again = await stores.jobs.claimQueued('web-1', 5, () => 'lease2', T, T, T, ['job000000002']);
    expect(again.map((r) => r.job.id)).toEqual(['job000000001']);
    expect(queries[0]).toMatch(/^SELECT /);
    // A named job changed elsewhere (here: cancelled) only loses its compare-and-set, then the search finds nothing.
    await stores.jobs.create(job('job000000003', 2), T);
    expect(await stores.jobs.transition({ jobId: 'job000000003', from: ['queuing'], to: 'cancelled', at: T }, T)).not.toBeNull();
    queries.length = 0;
    expect(await stores.jobs.claimQueued('web-1', 5, () => 'lease3', T, T, T, ['job000000003'])).toEqual([]);
    expect(queries.map((q) => q.split(' ')[0])).toEqual(['BEGIN', 'UPDATE', 'COMMIT', 'SELECT']);
    expect(await stores.jobs.get('job000000003')).toMatchObject({ state: 'cancelled' });
  });

  it('reads of several jobs made together are one SELECT (a poll checking the jobs its agent runs)', async () => {
    const got = await Promise.all(['a', 'b', 'c'].map((id) => stores.jobs.get(`job00000000${id}`)));
    expect(got).toEqual([null, null, null]);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^SELECT .* FROM "jobs" WHERE "id" IN \(\?, \?, \?, \?\)$/);
  });
});
