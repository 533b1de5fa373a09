import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { Stores } from '../../src/core/stores.js';
import type { Notifier } from '../../src/core/event-bus.js';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { createRedisNotifier } from '../../src/bus/redis-notifier.js';
import { jobServiceFixture } from '../helpers/job-service-fixture.js';
import { mysqlUrl, redisUrl, uniqueName } from '../helpers/services.js';

/**
 * Two server processes (two store connections, two Redis notifiers) on one MariaDB: a poll held
 * by one is answered as soon as the other queues a job — through Redis, not by the poll timing out.
 */
describe('JobService across processes (MariaDB + Redis)', () => {
  const base = new URL(mysqlUrl());
  const db = uniqueName('skadi_xp');
  const prefix = `${uniqueName('skadi-xp')}:`;
  const opened: Array<Stores | Notifier> = [];
  let a: ReturnType<typeof jobServiceFixture>;
  let b: ReturnType<typeof jobServiceFixture>;

  const admin = () => createConnection({ host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) });

  beforeAll(async () => {
    const conn = await admin();
    await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
    await conn.end();
    const url = new URL(base);
    url.pathname = `/${db}`;
    const make = async (name: string) => {
      const stores = await createTypeormStores({ url: url.toString(), migrate: true });
      const notifier = createRedisNotifier({ url: redisUrl(), keyPrefix: prefix, consumer: name });
      opened.push(stores, notifier);
      const f = jobServiceFixture(stores, systemClock, {}, notifier);
      await f.service.start();
      return f;
    };
    a = await make('a');
    b = await make('b');
    const stores = opened[0] as Stores;
    await stores.agents.create({ name: 'web-1', labels: {}, createdAt: new Date() });
    await stores.agents.checkIn('web-1', { at: new Date() });
  });

  afterAll(async () => {
    await a?.service.stop();
    await b?.service.stop();
    for (const o of opened) await o.close();
    const conn = await admin();
    await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn.end();
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('wakes a poll held in another process when a job is queued', async () => {
    // Let the subscriber connections settle: pub/sub wake-ups are lossy by design.
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const polling = a.service.poll('web-1', { max: 1, wait: 20 });
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      const { job } = await b.service.submit({ agent: 'web-1', message: `m${i}`, requester: { identity: 'api:test' }, thread: null });
      const got = await polling;
      expect(got.jobs[0]?.id).toBe(job.id);
      // Far below the 20 s hold: the wake-up crossed processes.
      expect(Date.now() - t0).toBeLessThan(2000);
    }
  });

  it('tells a poll held in another process that its running job was cancelled', async () => {
    const { job } = await b.service.submit({ agent: 'web-1', message: 'long', requester: { identity: 'api:test' }, thread: null });
    const [assigned] = (await a.service.poll('web-1', { max: 1, wait: 0 })).jobs;
    await a.service.ack('web-1', job.id, assigned!.lease);
    const polling = a.service.poll('web-1', { max: 0, wait: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await b.service.cancel(job.id, 'web:alice');
    expect((await polling).cancels).toEqual([job.id]);
  });
});
