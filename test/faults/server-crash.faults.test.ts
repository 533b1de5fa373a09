import { createConnection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { sleep, waitUntil } from './helpers/processes.js';
import { expectEveryJobOnce, explain, rigPerTest, runScenario } from './helpers/scenario.js';

/**
 * Issue 10, faults: `kill -9` of one of two `skadi serve` processes in the middle of a load. The
 * other process serves on (agents reach the servers through a load balancer that skips a dead
 * process; the web chat clients retry on the other one); a supervisor restarts the killed one a
 * few seconds later with the same node id. Nothing the dead process had accepted is lost.
 */
describe('fault: kill -9 of a server process', () => {
  const startRig = rigPerTest();

  it('loses no job and sends every reply once when one of two servers is killed mid-load', async () => {
    const rig = await startRig({ fault: 'kill -9 of a server process' });
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 5 },
      warmupMs: 6000,
      inject: async (r) => {
        await r.killServer(0);
        // The second process serves alone for a while, then a supervisor restarts the first.
        await sleep(6000);
        await r.startServer(0);
      },
      cooldownMs: 5000,
    });
    expectEveryJobOnce(rig, outcome, { minSent: 50, errorRepliesAnswer: true });
  });

  it('a server killed while it handles a chat message: the client retry on the other server makes the job, once', async () => {
    const rig = await startRig({ fault: 'kill -9 of a server mid-message' });
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 3 },
      inject: async (r, load) => {
        // Hold the jobs table, so that server a takes the message (its de-duplication record is
        // written) and then waits on the job's INSERT: the crash lands exactly in between.
        const lock = await createConnection({ host: '127.0.0.1', port: r.db.port, user: 'root', database: 'skadi' });
        try {
          await lock.query('LOCK TABLES jobs WRITE, outbox_events WRITE');
          const record = load.sendOne('web', r.servers[0]);
          await waitUntil(
            'server a to take the message',
            async () => record.ref && (await r.db.query<RowDataPacket>('SELECT id FROM kv_entries WHERE id LIKE ?', [`inbound:web:%${record.ref}`])).length > 0,
            20_000,
            20,
          );
          await r.killServer(0);
        } finally {
          await lock.query('UNLOCK TABLES').catch(() => undefined);
          await lock.end().catch(() => undefined);
        }
        await sleep(3000);
        await r.startServer(0);
      },
      cooldownMs: 5000,
    });
    expect(outcome.row.errorReplies, explain(rig, outcome)).toBe(0);
    expectEveryJobOnce(rig, outcome);
  });
});
