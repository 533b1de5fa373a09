import { describe, expect, it } from 'vitest';
import { BUILTIN_COMMANDS } from '../../../commands/index.js';
import { createAccessControl, validateAccessConfig } from '../../../src/chat/access-control.js';
import { createCommandRegistry } from '../../../src/chat/command-registry.js';
import { ConfigError } from '../../../src/core/index.js';
import { manualClock } from '../../helpers/manual-clock.js';
import { MemoryAuditStore } from '../../helpers/memory-audit.js';

const known = createCommandRegistry(BUILTIN_COMMANDS).accessVocabulary();
const LABELS: Record<string, Record<string, string>> = {
  'web-1': { role: 'web', region: 'eu' },
  'web-2': { role: 'web', region: 'us', canary: 'yes' },
  'db-1': { role: 'db', region: 'eu' },
  db: {},
};

function control(rules: unknown[], lookup = true) {
  const audit = new MemoryAuditStore();
  const asked: string[] = [];
  const agentLabels = async (name: string) => {
    asked.push(name);
    return LABELS[name] ?? null;
  };
  const access = createAccessControl(validateAccessConfig({ rules }, { knownCommands: known }), { audit, clock: manualClock(), ...(lookup ? { agentLabels } : {}) });
  return { access, audit, asked };
}

describe('access rules with label selectors', () => {
  it('grants the agents whose labels match, given the labels', () => {
    const { access } = control([{ who: ['web:ann'], agents: ['role=web,!canary', 'role in (db)'] }]);
    expect(access.allows('web:ann', { agent: 'web-1', labels: LABELS['web-1'] })).toBe(true);
    expect(access.allows('web:ann', { agent: 'web-2', labels: LABELS['web-2'] })).toBe(false);
    expect(access.allows('web:ann', { agent: 'db-1', labels: LABELS['db-1'] })).toBe(true);
  });

  it('denies when the labels are unknown, even for negative selectors (default deny)', () => {
    const { access } = control([{ who: ['web:ann'], agents: ['!canary', 'region!=us'] }]);
    expect(access.allows('web:ann', { agent: 'web-1' })).toBe(false);
    expect(access.allows('web:ann', { agent: 'web-1', labels: LABELS['web-1'] })).toBe(true);
  });

  it('decide looks the labels up when a rule of the identity needs them, and audits without them', async () => {
    const { access, audit, asked } = control([{ who: ['web:ann'], agents: ['region=eu'] }, { who: ['web:bob'], agents: ['db-*'] }]);
    expect((await access.decide('web:ann', { agent: 'db-1' })).allowed).toBe(true);
    expect((await access.decide('web:ann', { agent: 'web-2' })).allowed).toBe(false);
    expect((await access.decide('web:ann', { agent: 'nobody' })).allowed).toBe(false);
    // bob's rules are plain globs: no lookup for him.
    expect((await access.decide('web:bob', { agent: 'db-1' })).allowed).toBe(true);
    expect(asked).toEqual(['db-1', 'web-2', 'nobody']);
    const entries = await audit.list(10);
    expect(entries.map((e) => e.target)).toContain('agent:db-1');
    expect(entries.every((e) => !String(e.target).includes('labels'))).toBe(true);
  });

  it('without a lookup, decide matches selector rules only on labels the caller passed', async () => {
    const { access } = control([{ who: ['web:ann'], agents: ['role=db'] }], false);
    expect((await access.decide('web:ann', { agent: 'db-1' })).allowed).toBe(false);
    expect((await access.decide('web:ann', { agent: 'db-1', labels: LABELS['db-1'] })).allowed).toBe(true);
  });

  it('keeps plain names and globs matching names only: a label of that name does not widen the grant', () => {
    const { access } = control([{ who: ['web:ann'], agents: ['db', 'web-*'] }]);
    expect(access.allows('web:ann', { agent: 'db', labels: {} })).toBe(true);
    expect(access.allows('web:ann', { agent: 'db-1', labels: { db: 'yes' } })).toBe(false);
    expect(access.allows('web:ann', { agent: 'web-2', labels: LABELS['web-2'] })).toBe(true);
  });

  it('still needs one rule to grant agent and command together', () => {
    const { access } = control([{ who: ['web:ann'], agents: ['role=web'] }, { who: ['web:ann'], commands: ['rerun'] }]);
    const decision = access.evaluate('web:ann', { agent: 'web-1', labels: LABELS['web-1'], command: 'rerun', permission: 'jobs:run' });
    expect(decision).toMatchObject({ allowed: false, missing: { agent: 'web-1', command: 'rerun' } });
  });

  it('refuses a selector that does not parse, and a bad name that has no operator, with the key', () => {
    const bad = (entry: string) => {
      try {
        validateAccessConfig({ rules: [{ who: ['web:ann'], agents: [entry] }] }, { knownCommands: known });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error(`accepted ${entry}`);
    };
    expect(bad('role in (web')).toMatch(/access\.rules\[0\]\.agents\[0\]: "role in \(web" is not a valid selector: the list is not closed at position 13/);
    expect(bad('role=')).toContain('expected a value after =');
    expect(bad('Web-1')).toContain('is not an agent name or glob');
  });
});
