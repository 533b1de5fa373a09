import { describe, expect, it } from 'vitest';
import { sleep } from './helpers/processes.js';
import { expectEveryJobOnce, explain, rigPerTest, runScenario } from './helpers/scenario.js';

/**
 * Issue 10, faults: a chat platform's API failing for a while. Slack (HTTP Events API) against
 * the fake Slack Web API, reached through a proxy that makes `chat.*` calls fail: 503s, then
 * 429s with Retry-After, then requests that hang until the client's timeout. Events keep
 * arriving meanwhile. The replies wait and go out once the API answers again — each exactly once.
 */
describe('fault: chat platform API failing', () => {
  const startRig = rigPerTest();

  it('Slack answers 5xx, 429 and hangs for 24 s: every reply waits, then goes out once', async () => {
    const rig = await startRig({ fault: 'Slack API 5xx/429/timeouts for 24 s', slack: true });
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
    expect(rig.slack!.link.stats.failed, explain(rig, outcome)).toBeGreaterThan(10);
    expectEveryJobOnce(rig, outcome);
  });
});
