import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRate } from '../../../src/config/parse-values.js';
import { errorSentence } from '../../../src/chat/error-sentences.js';
import { SkadiError } from '../../../src/core/errors.js';
import { createTokenBuckets, describeRate } from '../../../src/limits/token-buckets.js';
import { createSubmitLimiter, withFanOutLimits, withSubmitLimits } from '../../../src/limits/submit-limits.js';
import type { Agent, FanOutApi, SubmitFanOutInput } from '../../../src/core/index.js';
import { testAgent } from '../../helpers/memory-jobs-api.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { registerUserApi } from '../../../src/http/user-api.js';
import { silentLogger } from '../../../src/core/logger.js';
import { systemClock } from '../../../src/core/clock.js';
import { apiFixture, type ApiFixture } from '../../helpers/api-fixture.js';

describe('rates', () => {
  it('parses the forms people write', () => {
    expect(parseRate('30/1m')).toEqual({ count: 30, perMs: 60_000 });
    expect(parseRate('30/min')).toEqual({ count: 30, perMs: 60_000 });
    expect(parseRate('5 / 10s')).toEqual({ count: 5, perMs: 10_000 });
    expect(parseRate('1000/h')).toEqual({ count: 1000, perMs: 3_600_000 });
    for (const off of ['0', 0, 'off', '', null]) expect(parseRate(off)).toBeNull();
    for (const bad of ['30', 'x/1m', '30/forever', '30/0s', 30, '-1/1m']) expect(parseRate(bad)).toBeUndefined();
    expect(describeRate({ count: 30, perMs: 60_000 })).toBe('30 jobs a minute');
    expect(describeRate({ count: 5, perMs: 10_000 })).toBe('5 jobs every 10 seconds');
  });

  it('a token bucket allows the burst, then one per interval, per key', () => {
    let now = 0;
    const b = createTokenBuckets({ count: 3, perMs: 3000 }, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(1000);
    expect(b.take('b')).toBe(0);
    now += 400;
    expect(b.take('a')).toBe(600);
    now += 600;
    expect(b.take('a')).toBe(0);
    now += 60_000;
    b.take('c'); // a sweep forgets the buckets that refilled
    expect(b.size()).toBe(1);
  });
});

describe('submit limits', () => {
  let f: ApiFixture;
  let now = 0;
  beforeAll(async () => {
    f = await apiFixture();
    await f.agent('web-1');
    await f.agent('web-2');
  });
  afterAll(() => f.close());

  it('refuses a user over their rate, and an agent over its rate, with a sentence and retryAfterMs', async () => {
    const jobs = withSubmitLimits(f.service, { user: { count: 2, perMs: 60_000 }, agent: { count: 3, perMs: 60_000 }, now: () => now });
    const submit = (identity: string, agent = 'web-1') => jobs.submit({ agent, message: 'uptime', requester: { identity }, thread: null });
    await submit('slack:T1/U1');
    await submit('slack:T1/U1');
    const refused = await submit('slack:T1/U1').catch((e: unknown) => e as SkadiError);
    expect(refused).toBeInstanceOf(SkadiError);
    expect((refused as SkadiError).code).toBe('SKADI_RATE_LIMITED');
    expect((refused as SkadiError).details).toMatchObject({ retryAfterMs: 30_000, limit: 'user' });
    expect(errorSentence(refused)).toBe('Not so fast: slack:T1/U1 may start at most 2 jobs a minute; try again in 30 seconds.');
    await submit('web:bob'); // another user: fine, but the agent's third job this minute
    const agentRefused = (await submit('web:carol').catch((e: unknown) => e)) as SkadiError;
    expect(agentRefused.message).toMatch(/^agent web-1 takes at most 3 jobs a minute/);
    await submit('web:carol', 'web-2'); // another agent
    now += 30_000;
    await submit('slack:T1/U1', 'web-2');
    // Other JobsApi methods pass through.
    expect((await jobs.listAgents()).length).toBe(2);
  });

  it('answers the user API with 429 SKADI_RATE_LIMITED and Retry-After', async () => {
    const app = createHttpServer({ bodyLimit: 65_536, logger: silentLogger });
    registerUserApi(app, { service: withSubmitLimits(f.service, { user: { count: 1, perMs: 10_000 }, agent: null }), tokens: f.tokens, audit: f.stores.audit, clock: systemClock, offlineAfterMs: 180_000, authorize: async () => undefined });
    await app.ready();
    const token = await f.userToken('api:ratey');
    const post = () => app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { authorization: `Bearer ${token}` }, payload: { agent: 'web-1', message: 'uptime' } });
    expect((await post()).statusCode).toBe(201);
    const r = await post();
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({ code: 'SKADI_RATE_LIMITED', details: { limit: 'user' } });
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(9);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(10);
    await app.close();
  });

  it('fan-outs draw on the same buckets: one user token per fan-out, one agent token per target; a limited agent is skipped', async () => {
    let now = 0;
    const limiter = createSubmitLimiter({ user: { count: 2, perMs: 60_000 }, agent: { count: 1, perMs: 60_000 }, now: () => now });
    const targets: Agent[] = [testAgent('web-1'), testAgent('web-2')];
    const decisions: Array<Array<[string, boolean, string | undefined]>> = [];
    const inner: FanOutApi = {
      defaults: { concurrency: 10, maxFailures: 0 },
      children: async () => [],
      async submit(input: SubmitFanOutInput) {
        const seen: Array<[string, boolean, string | undefined]> = [];
        for (const agent of targets) {
          const d = await input.authorize(agent);
          seen.push([agent.name, d.allowed, d.allowed ? undefined : d.reason]);
        }
        decisions.push(seen);
        return { kind: 'no-targets', matched: targets.length, skipped: [] };
      },
    };
    const fanOut = withFanOutLimits(inner, limiter);
    const jobs = withSubmitLimits(f.service, limiter);
    const input = (identity: string): SubmitFanOutInput => ({ selector: 'web-*', message: 'uptime', requester: { identity }, thread: null, authorize: async () => ({ allowed: true, reason: 'ok' }) });
    await jobs.submit({ agent: 'web-2', message: 'uptime', requester: { identity: 'web:dora' }, thread: null }); // web-2's one token this minute
    await fanOut.submit(input('web:dora'));
    expect(decisions[0]).toEqual([
      ['web-1', true, undefined],
      ['web-2', false, 'agent web-2 takes at most 1 job a minute; try again in 60 seconds'],
    ]);
    // The user's second token went on the first fan-out: the next is refused as a whole.
    await expect(fanOut.submit(input('web:dora'))).rejects.toMatchObject({ code: 'SKADI_RATE_LIMITED', details: { limit: 'user' } });
    expect(decisions).toHaveLength(1);
    // A refusal by access control is kept as it was and costs the agent nothing.
    now += 60_000;
    await fanOut.submit({ ...input('web:erin'), authorize: async (agent) => ({ allowed: agent.name !== 'web-1', reason: 'no access to web-1' }) });
    expect(decisions[1]).toEqual([
      ['web-1', false, 'no access to web-1'],
      ['web-2', true, undefined],
    ]);
    expect(await fanOut.children('x')).toEqual([]);
  });
});
