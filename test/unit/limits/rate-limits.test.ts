import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRate } from '../../../src/config/parse-values.js';
import { errorSentence } from '../../../src/chat/error-sentences.js';
import { SkadiError } from '../../../src/core/errors.js';
import { createTokenBuckets, describeRate } from '../../../src/limits/token-buckets.js';
import { withSubmitLimits } from '../../../src/limits/submit-limits.js';
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
});
