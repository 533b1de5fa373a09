import { describe, expect, it } from 'vitest';
import { isSingleName, looksLikeSelector, parseSelector, selectorMatches, SelectorError } from '../../../src/core/selector.js';

const agents: Array<{ name: string; labels: Record<string, string> }> = [
  { name: 'web-1', labels: { role: 'web', region: 'eu' } },
  { name: 'web-2', labels: { role: 'web', region: 'us', canary: 'true' } },
  { name: 'api-1', labels: { role: 'api', region: 'eu' } },
  { name: 'db-1', labels: { role: 'db', region: 'eu', 'team.io/owner': 'ops' } },
];
const pick = (s: string) => agents.filter((a) => selectorMatches(parseSelector(s), a)).map((a) => a.name);

function error(source: string): SelectorError {
  try {
    parseSelector(source);
  } catch (err) {
    expect(err).toBeInstanceOf(SelectorError);
    return err as SelectorError;
  }
  throw new Error(`expected ${source} to be refused`);
}

describe('selector language', () => {
  it('selects by name, glob and labels', () => {
    expect(pick('web-1')).toEqual(['web-1']);
    expect(pick('web-*')).toEqual(['web-1', 'web-2']);
    expect(pick('*-1')).toEqual(['web-1', 'api-1', 'db-1']);
    expect(pick('role=web')).toEqual(['web-1', 'web-2']);
    expect(pick('role==web')).toEqual(['web-1', 'web-2']);
    expect(pick('role!=web')).toEqual(['api-1', 'db-1']);
    expect(pick('role=web,region=eu')).toEqual(['web-1']);
    expect(pick(' role = web , region = eu ')).toEqual(['web-1']);
    expect(pick('role in (web,api)')).toEqual(['web-1', 'web-2', 'api-1']);
    expect(pick('role in ( web , api ),region=eu')).toEqual(['web-1', 'api-1']);
    expect(pick('role notin (web,api)')).toEqual(['db-1']);
    expect(pick('!canary')).toEqual(['web-1', 'api-1', 'db-1']);
    expect(pick('canary')).toEqual(['web-2']);
    expect(pick('team.io/owner=ops')).toEqual(['db-1']);
    expect(pick('web-*,!canary')).toEqual(['web-1']);
    expect(pick('nobody')).toEqual([]);
  });

  it('tells a plain name from a fan-out selector', () => {
    expect(isSingleName(parseSelector('web-1'))).toBe(true);
    expect(isSingleName(parseSelector('web-*'))).toBe(false);
    expect(isSingleName(parseSelector('role=web'))).toBe(false);
    expect(looksLikeSelector('web-1')).toBe(false);
    expect(['web-*', 'role=web', '!canary', 'a,b', 'role in (a)'].every(looksLikeSelector)).toBe(true);
  });

  it('gives the position and a hint for every kind of mistake', () => {
    expect(error('')).toMatchObject({ position: 0, code: 'SKADI_BAD_REQUEST' });
    expect(error('role=')).toMatchObject({ position: 5 });
    expect(error('role=')).toHaveProperty('hint', 'e.g. role=web');
    expect(error('role in (web,api')).toMatchObject({ position: 16 });
    expect(error('role in (web,api').message).toMatch(/not closed.*position 17.*close it/);
    expect(error('role=web region=eu').message).toMatch(/expected , or the end.*position 10.*commas/);
    expect(error('role=web*').message).toMatch(/glob/);
    expect(error('!').message).toMatch(/label name after !/);
    expect(error('role=web,,x').position).toBe(9);
    expect(error('WEB-*').message).toMatch(/name glob/);
    expect(error('x'.repeat(2000)).message).toMatch(/too long/);
  });
});
