import { describe, expect, it } from 'vitest';
import { BUILTIN_COMMANDS } from '../../../commands/index.js';
import { createCommandRegistry } from '../../../src/chat/command-registry.js';
import { ConfigError, RESERVED_COMMAND_NAMES, SkadiError, assertAgentNameAllowed, commandUsage, type CommandSpec } from '../../../src/core/index.js';

const spec = (over: Partial<CommandSpec>): CommandSpec => ({
  name: 'status',
  aliases: [],
  args: [],
  help: 'h',
  permission: 'p',
  run: async () => ({ text: '' }),
  ...over,
});

describe('command registry', () => {
  it('indexes the built-ins by name and alias', () => {
    const registry = createCommandRegistry(BUILTIN_COMMANDS);
    expect(registry.resolve('kill')?.name).toBe('cancel');
    expect(registry.resolve('ps')?.name).toBe('jobs');
    expect(registry.isCommand('local')).toBe(false);
    expect(registry.accessTarget('kill')).toEqual({ command: 'cancel', permission: 'jobs:cancel' });
    expect(registry.accessTarget('local')).toBeUndefined();
    expect(registry.accessVocabulary()).toEqual(expect.arrayContaining(['help', 'chat:help', 'jobs:read', 'jobs:cancel:any', 'rerun', 'jobs:run']));
  });

  it('reserves every built-in name and alias against agent names', () => {
    for (const command of BUILTIN_COMMANDS) {
      for (const word of [command.name, ...command.aliases]) {
        if (/^[a-z0-9]/.test(word)) expect(RESERVED_COMMAND_NAMES.has(word)).toBe(true);
      }
    }
    expect(() => assertAgentNameAllowed('status')).toThrow(SkadiError);
    expect(() => assertAgentNameAllowed('retry')).toThrow(/chat command word/);
    expect(() => assertAgentNameAllowed('Web_1')).toThrow(/must be 1-63 characters/);
    expect(() => assertAgentNameAllowed('deploy', ['deploy'])).toThrow(/chat command word/);
    expect(() => assertAgentNameAllowed('web-1')).not.toThrow();
    try {
      assertAgentNameAllowed('jobs');
    } catch (err) {
      expect((err as SkadiError).code).toBe('SKADI_AGENT_NAME_INVALID');
    }
  });

  it('detects name and alias collisions at start-up', () => {
    expect(() => createCommandRegistry([spec({ name: 'status' }), spec({ name: 'jobs', aliases: ['status'] })])).toThrow(/"status" is already used by the status command/);
    expect(() => createCommandRegistry([spec({ name: 'status', aliases: ['status'] })])).toThrow(ConfigError);
  });

  it('refuses command words that are not reserved against agent names', () => {
    expect(() => createCommandRegistry([spec({ name: 'deploy' })])).toThrow(/RESERVED_COMMAND_NAMES/);
    expect(() => createCommandRegistry([spec({ name: 'Status' })])).toThrow(/lower-case/);
  });

  it('checks argument declarations', () => {
    const rest = { name: 'a', description: 'd', required: false, rest: true };
    const req = { name: 'b', description: 'd', required: true };
    expect(() => createCommandRegistry([spec({ args: [rest, req] })])).toThrow(/last argument/);
    expect(() => createCommandRegistry([spec({ args: [{ ...req, required: false }, req] })])).toThrow(/cannot follow/);
  });

  it('binds typed words to declared arguments, or explains the usage', () => {
    const registry = createCommandRegistry(BUILTIN_COMMANDS);
    const status = registry.resolve('status')!;
    expect(registry.bind(status, ['abc'])).toEqual({ ok: true, args: { job: 'abc' } });
    expect(registry.bind(status, [])).toEqual({ ok: false, message: 'status needs job (the job id from the acknowledgement). Usage: status <job>' });
    expect(registry.bind(status, ['a', 'b'])).toMatchObject({ ok: false, message: expect.stringContaining('at most 1') });
    expect(registry.bind(registry.resolve('help')!, [])).toEqual({ ok: true, args: { command: undefined } });
    const withRest = createCommandRegistry([spec({ args: [{ name: 'what', description: 'd', required: true, rest: true }] })]);
    expect(withRest.bind(withRest.resolve('status')!, ['a', 'b c'])).toEqual({ ok: true, args: { what: 'a b c' } });
    expect(commandUsage(withRest.resolve('status')!)).toBe('status <what…>');
  });
});
