import { describe, expect, it } from 'vitest';
import { SelectorError, type SelectableAgent } from '../../../src/core/selector.js';
import { jobTargetOf, matchingAgents, parseTarget, promptFor, refineTarget } from '../../../src/cli/shell-target.js';

const FLEET: SelectableAgent[] = [
  { name: 'web-1', labels: { role: 'web', region: 'eu' } },
  { name: 'web-2', labels: { role: 'web', region: 'us', canary: 'yes' } },
  { name: 'db-1', labels: { role: 'db' } },
];

describe('shell target', () => {
  it('a plain agent name is a single target, sent with `agent`', () => {
    const t = parseTarget('web-1')!;
    expect(t.single).toBe(true);
    expect(jobTargetOf(t)).toEqual({ agent: 'web-1' });
    expect(promptFor(t)).toBe('skadi [web-1]> ');
  });

  it('a selector is sent with `selector`, with the fan-out options', () => {
    const t = parseTarget('role=web,region=eu')!;
    expect(t.single).toBe(false);
    expect(jobTargetOf(t)).toEqual({ selector: 'role=web,region=eu' });
    expect(jobTargetOf(t, { concurrency: 2, maxFailures: 0 })).toEqual({ selector: 'role=web,region=eu', concurrency: 2, maxFailures: 0 });
    expect(parseTarget('web-*')!.single).toBe(false);
    expect(matchingAgents(t, FLEET).map((a) => a.name)).toEqual(['web-1']);
  });

  it('accepts a quoted selector with spaces, and clears the target when empty', () => {
    expect(parseTarget('"role in (web, db)"')!.source).toBe('role in (web, db)');
    expect(parseTarget('  role in (web,db) ')!.source).toBe('role in (web,db)');
    expect(parseTarget('')).toBeNull();
    expect(parseTarget('  ')).toBeNull();
    expect(promptFor(null)).toBe('skadi> ');
    expect(matchingAgents(null, FLEET)).toHaveLength(3);
  });

  it('rejects a bad selector with its position and a hint', () => {
    let error: unknown;
    try {
      parseTarget('role=web,');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SelectorError);
    expect((error as SelectorError).position).toBe(9);
    expect((error as SelectorError).message).toMatch(/expected a name, a glob or a label, found the end at position 10; try web-1/);
  });

  it('takes a bare word that names no agent but is a label as a selector', () => {
    expect(refineTarget(parseTarget('canary')!, FLEET).single).toBe(false);
    expect(refineTarget(parseTarget('web-1')!, FLEET).single).toBe(true);
    // Unknown either way: stays a name, so the server says which agent is missing.
    expect(refineTarget(parseTarget('nope')!, FLEET).single).toBe(true);
  });

  it('shortens a long target in the prompt', () => {
    const prompt = promptFor(parseTarget(`role in (${Array.from({ length: 20 }, (_, i) => `r${i}`).join(',')})`));
    expect([...prompt].length).toBe('skadi [] > '.length + 40 - 1);
    expect(prompt).toMatch(/…\]> $/);
  });
});
