import { afterEach, describe, expect, it } from 'vitest';
import { FaultRig } from './helpers/fault-rig.js';
import { sleep } from './helpers/processes.js';
import { explain, runScenario } from './helpers/scenario.js';

/**
 * Issue 10, faults: a chat platform's API failing for a while. Slack (HTTP Events API) against
 * the fake Slack Web API, reached through a proxy that makes `chat.*` calls fail: 503s, then
 * 429s with Retry-After, then requests that hang until the client's timeout. Events keep
 * arriving meanwhile. The replies wait and go out once the API answers again — each exactly once.
 */
describe('fault: chat platform API failing', () => {
  let rig: FaultRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('Slack answers 5xx, 429 and hangs for 24 s: every reply waits, then goes out once', async () => {
    rig = new FaultRig({ fault: 'Slack API 5xx/429/timeouts for 24 s', slack: true });
    await rig.start();
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 3, channelOf: (n) => (n % 4 === 0 ? 'api' : 'slack') },
      warmupMs: 5000,
      inject: async (r) => {
        const link = r.slack!.link;
        const chat = /^\/api\/chat\./;
        link.failFor(8000, { kind: 'status', status: 503 }, chat);
        await sleep(8000);
        link.failFor(8000, { kind: 'status', status: 429, retryAfterSeconds: 3 }, chat);
        await sleep(8000);
        link.failFor(8000, { kind: 'hang' }, chat);
        await sleep(8000);
      },
      cooldownMs: 4000,
      quietTimeoutMs: 120_000,
    });
    const { row } = outcome;
    expect(rig.slack!.link.stats.failed, explain(rig, outcome)).toBeGreaterThan(10);
    expect(row.lost, explain(rig, outcome)).toBe(0);
    expect(row.duplicated, explain(rig, outcome)).toBe(0);
    expect(row.jobsFinished, explain(rig, outcome)).toBe(row.jobsSent);
    expect(row.expired, explain(rig, outcome)).toBe(0);
    expect(row.failed, explain(rig, outcome)).toBe(0);
    expect(row.notAccepted, explain(rig, outcome)).toBe(0);
  });
});
