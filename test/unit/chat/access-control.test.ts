import { describe, expect, it } from 'vitest';
import { BUILTIN_COMMANDS } from '../../../commands/index.js';
import { authorize, createAccessControl, validateAccessConfig } from '../../../src/chat/access-control.js';
import { createCommandRegistry } from '../../../src/chat/command-registry.js';
import { ConfigError, SkadiError } from '../../../src/core/index.js';
import { TEST_ACCESS } from '../../helpers/chat-fixture.js';
import { manualClock } from '../../helpers/manual-clock.js';
import { MemoryAuditStore } from '../../helpers/memory-audit.js';

const known = createCommandRegistry(BUILTIN_COMMANDS).accessVocabulary();

function control(raw: unknown = TEST_ACCESS) {
  const audit = new MemoryAuditStore();
  const clock = manualClock();
  const access = createAccessControl(validateAccessConfig(raw, { knownCommands: known }), { audit, clock });
  return { access, audit, clock };
}

function configError(raw: unknown): ConfigError {
  try {
    validateAccessConfig(raw, { knownCommands: known });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('access control decisions', () => {
  it('denies everything by default (no config, no rules)', () => {
    const { access } = control(null);
    expect(access.allows('web:alice', { agent: 'local' })).toBe(false);
    expect(access.allows('web:alice', { command: 'help', permission: 'chat:help' })).toBe(false);
    expect(access.allows('web:stranger', { agent: 'local' })).toBe(false);
  });

  it('grants through groups, and through "*" for agents and commands', () => {
    const { access } = control();
    expect(access.allows('web:alice', { agent: 'db-1' })).toBe(true);
    expect(access.allows('slack:T1/U2', { command: 'cancel', permission: 'jobs:cancel' })).toBe(true);
    expect(access.allows('slack:T1/U2', { permission: 'jobs:cancel:any' })).toBe(true);
    expect(access.allows('slack:T1/U3', { agent: 'db-1' })).toBe(false);
  });

  it('matches agent globs and command names or permissions', () => {
    const { access } = control();
    expect(access.allows('web:dave', { agent: 'web-1' })).toBe(true);
    expect(access.allows('web:dave', { agent: 'db-1' })).toBe(false);
    // jobs:read is granted as a permission: status and jobs are allowed by it.
    expect(access.allows('web:dave', { command: 'status', permission: 'jobs:read' })).toBe(true);
    expect(access.allows('web:dave', { command: 'rerun', permission: 'jobs:run' })).toBe(false);
    expect(access.allows('web:bob', { command: 'jobs', permission: 'jobs:read' })).toBe(true);
    expect(access.allows('web:bob', { command: 'cancel', permission: 'jobs:cancel' })).toBe(false);
  });

  it('compares identities case-insensitively and supports identity globs and "*"', () => {
    const { access } = control({ rules: [{ who: ['email:*@example.com', 'slack:T1/*'], agents: ['local'] }, { who: ['*'], commands: ['help'] }] });
    expect(access.allows('email:Ops@Example.com', { agent: 'local' })).toBe(true);
    expect(access.allows('email:ops@evil.com', { agent: 'local' })).toBe(false);
    expect(access.allows('slack:T1/U9', { agent: 'local' })).toBe(true);
    expect(access.allows('slack:T2/U9', { agent: 'local' })).toBe(false);
    expect(access.allows('teams:anyone', { command: 'help' })).toBe(true);
    expect(access.allows('', { command: 'help' })).toBe(false);
  });

  it('needs one rule to grant agent and command together', () => {
    const { access } = control({ rules: [{ who: ['web:erin'], agents: ['local'] }, { who: ['web:erin'], commands: ['rerun'] }] });
    const decision = access.evaluate('web:erin', { agent: 'local', command: 'rerun', permission: 'jobs:run' });
    expect(decision.allowed).toBe(false);
    expect(decision.missing).toEqual({ agent: 'local', command: 'rerun', permission: 'jobs:run' });
  });

  it('says what is missing and whom to ask', () => {
    const { access } = control();
    const agent = access.evaluate('web:bob', { agent: 'db-1' });
    expect(agent).toMatchObject({ allowed: false, missing: { agent: 'db-1' } });
    expect(agent.reason).toBe('you may not run jobs on db-1; ask an admin to add web:bob to a rule for agent db-1');
    const command = access.evaluate('web:bob', { command: 'cancel', permission: 'jobs:cancel' });
    expect(command.reason).toBe('you may not use the cancel command; ask an admin to add web:bob to a rule for command cancel (or permission jobs:cancel)');
    const permission = access.evaluate('web:bob', { permission: 'jobs:cancel:any' });
    expect(permission.reason).toContain('permission jobs:cancel:any');
    const both = access.evaluate('web:nobody', { agent: 'local', command: 'rerun' });
    expect(both.reason).toBe('you may not use rerun on local; ask an admin to add web:nobody to a rule for agent local and command rerun');
  });

  it('audits every decision, allowed and denied', async () => {
    const { access, audit, clock } = control();
    await access.decide('web:bob', { agent: 'local' }, { messageId: 'm1' });
    await access.decide('web:bob', { agent: 'db-1' });
    expect(audit.entries).toHaveLength(2);
    expect(audit.entries[0]).toMatchObject({ actor: 'web:bob', action: 'access.decide', target: 'agent:local', decision: 'allow', at: clock.now() });
    expect(audit.entries[0]!.detail).toMatchObject({ messageId: 'm1', rule: 1 });
    expect(audit.entries[1]).toMatchObject({ decision: 'deny', target: 'agent:db-1' });
    expect(audit.entries[1]!.detail).toMatchObject({ missing: { agent: 'db-1' } });
    expect(String(audit.entries[1]!.detail!.reason)).toContain('ask an admin');
    // allows() is for filtering listings and leaves no trace.
    access.allows('web:bob', { agent: 'local' });
    expect(audit.entries).toHaveLength(2);
  });

  it('authorize() throws SKADI_FORBIDDEN with the refusal sentence', async () => {
    const { access } = control();
    await expect(authorize(access, 'web:alice', { agent: 'local' })).resolves.toBeUndefined();
    const err = await authorize(access, 'web:bob', { agent: 'db-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkadiError);
    expect((err as SkadiError).code).toBe('SKADI_FORBIDDEN');
    expect((err as SkadiError).message).toContain('agent db-1');
  });
});

describe('validateAccessConfig', () => {
  it('accepts the documented example and freezes it', () => {
    const config = validateAccessConfig(TEST_ACCESS, { knownCommands: known });
    expect(config.rules).toHaveLength(4);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rules[0])).toBe(true);
  });

  it('accepts a single string where a list is expected (YAML shorthand)', () => {
    const config = validateAccessConfig({ rules: [{ who: 'web:bob', agents: 'local' }] });
    expect(config.rules[0]).toEqual({ who: ['web:bob'], agents: ['local'], commands: [] });
  });

  it('names the bad key', () => {
    expect(configError({ rule: [] }).key).toBe('access.rule');
    expect(configError({ rules: [{ who: ['alice'], agents: ['*'] }] }).key).toBe('access.rules[0].who[0]');
    expect(configError({ rules: [{ who: ['group:nope'], agents: ['*'] }] }).message).toContain('no group "nope"');
    expect(configError({ rules: [{ who: ['web:a'], agent: ['*'] }] }).message).toContain('did you mean agents');
    expect(configError({ rules: [{ who: ['web:a'], agents: ['Local!'] }] }).key).toBe('access.rules[0].agents[0]');
    expect(configError({ rules: [{ who: ['web:a'], commands: ['stauts'] }] }).key).toBe('access.rules[0].commands[0]');
    expect(configError({ rules: [{ who: ['web:a'] }] }).message).toContain('grants nothing');
    expect(configError({ rules: [{ who: [], agents: ['*'] }] }).key).toBe('access.rules[0].who');
    expect(configError({ groups: { ops: ['group:x'] } }).key).toBe('access.groups.ops[0]');
    expect(configError({ groups: { ops: 'nope' } }).key).toBe('access.groups.ops[0]');
    expect(configError({ rules: {} }).key).toBe('access.rules');
    expect(configError([]).key).toBe('access');
  });
});
