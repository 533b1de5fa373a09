import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../helpers/api-fixture.js';

describe('user API: GET /api/v1/agents?selector=', () => {
  let f: ApiFixture;
  let user: string;
  const get = (query: string) => f.app.inject({ method: 'GET', url: `/api/v1/agents${query}`, headers: { authorization: `Bearer ${user}` } });

  beforeAll(async () => {
    f = await apiFixture();
    await f.agent('web-1');
    await f.stores.agents.setLabels('web-1', { role: 'web', region: 'eu' });
    await f.stores.agents.create({ name: 'web-2', labels: { role: 'web', region: 'us' }, createdAt: new Date() });
    await f.stores.agents.create({ name: 'db-1', labels: { role: 'db', region: 'eu' }, createdAt: new Date() });
    user = await f.userToken('api:ci');
  });
  afterAll(() => f.close());

  it('lists the agents a selector matches, with online status and last seen', async () => {
    const names = async (selector: string) => ((await get(`?selector=${encodeURIComponent(selector)}`)).json() as { agents: Array<{ name: string }> }).agents.map((a) => a.name).sort();
    expect(await names('role=web')).toEqual(['web-1', 'web-2']);
    expect(await names('region=eu,role notin (db)')).toEqual(['web-1']);
    expect(await names('*-1')).toEqual(['db-1', 'web-1']);
    const web1 = ((await get('?selector=web-1')).json() as { agents: Array<Record<string, unknown>> }).agents[0]!;
    expect(web1).toMatchObject({ name: 'web-1', online: true, status: 'online' });
    expect(typeof web1.lastSeenAt).toBe('string');
    expect(((await get('')).json() as { agents: unknown[] }).agents).toHaveLength(3);
  });

  it('answers a selector that does not parse with 400 SKADI_BAD_REQUEST, the position and a hint', async () => {
    const r = await get(`?selector=${encodeURIComponent('role=web,')}`);
    expect(r.statusCode).toBe(400);
    const body = r.json() as { code: string; message: string; details: { position: number; hint: string } };
    expect(body.code).toBe('SKADI_BAD_REQUEST');
    expect(body.details).toEqual({ position: 9, hint: 'try web-1, web-* or role=web' });
    expect(body.message).toContain('at position 10');
  });
});
