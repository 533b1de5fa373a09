import { BUILTIN_COMMANDS } from '../../commands/index.js';
import { createAccessControl, validateAccessConfig, type AccessControl } from '../../src/chat/access-control.js';
import { createCommandRegistry, type CommandRegistry } from '../../src/chat/command-registry.js';
import type { CommandContext, InboundMessage, ThreadRef } from '../../src/core/index.js';
import { manualClock } from './manual-clock.js';
import { MemoryAuditStore } from './memory-audit.js';
import { MemoryJobsApi } from './memory-jobs-api.js';

/**
 * The access config most chat tests use: ops may do anything; bob may read and run jobs on
 * `local`; carol may rerun on `local` only; dave may cancel anyone's jobs.
 */
export const TEST_ACCESS = {
  groups: { ops: ['web:alice', 'slack:T1/U2'] },
  rules: [
    { who: ['group:ops'], agents: ['*'], commands: ['*'] },
    { who: ['web:bob'], agents: ['local'], commands: ['help', 'agents', 'status', 'jobs'] },
    { who: ['web:carol'], agents: ['local'], commands: ['rerun', 'help'] },
    { who: ['web:dave'], agents: ['local', 'web-*'], commands: ['cancel', 'jobs:cancel:any', 'jobs:read'] },
  ],
};

export interface ChatFixture {
  clock: ReturnType<typeof manualClock>;
  jobs: MemoryJobsApi;
  audit: MemoryAuditStore;
  access: AccessControl;
  registry: CommandRegistry;
  /** An addressed message from `user` (a web identity unless it contains a colon). */
  message(text: string, user?: string, over?: Partial<InboundMessage>): InboundMessage;
  /** A command context for `user`. */
  context(user?: string, text?: string): CommandContext;
}

export function chatFixture(accessConfig: unknown = TEST_ACCESS): ChatFixture {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const jobs = new MemoryJobsApi(clock);
  const audit = new MemoryAuditStore();
  const registry = createCommandRegistry(BUILTIN_COMMANDS);
  const access = createAccessControl(validateAccessConfig(accessConfig, { knownCommands: registry.accessVocabulary() }), { audit, clock });
  let n = 0;

  const message = (text: string, user = 'alice', over: Partial<InboundMessage> = {}): InboundMessage => {
    n += 1;
    const [platform, id] = user.includes(':') ? [user.slice(0, user.indexOf(':')), user.slice(user.indexOf(':') + 1)] : ['web', user];
    const thread: ThreadRef = { platform, conversationId: 'conv-1', threadId: `thread-${n}` };
    return {
      id: `msg-${n}`,
      platform,
      thread,
      sender: { id, identity: `${platform}:${id}`, displayName: id, isBot: false },
      text,
      mentionsBot: true,
      receivedAt: clock.now(),
      ...over,
    };
  };

  return {
    clock,
    jobs,
    audit,
    access,
    registry,
    message,
    context(user = 'alice', text = '') {
      const m = message(text, user);
      return { message: m, requester: { identity: m.sender.identity, displayName: m.sender.displayName }, jobs, access, commands: registry.commands, clock };
    },
  };
}
