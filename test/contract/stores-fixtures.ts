import { newJobId, randomId } from '../../src/core/index.js';
import type { NewJob, Stores } from '../../src/core/index.js';

/** What each part of the stores contract gets: the suite's stores, and a way to open more on the same database. */
export interface StoresContext {
  stores(): Stores;
  /** Another Stores on the same database (another connection/pool); the part closes it. */
  open(): Promise<Stores>;
}

/** A fixed instant with milliseconds, so a lost millisecond or a time-zone shift shows. */
export const T0 = new Date('2031-03-04T05:06:07.891Z');
export const FAR_FUTURE = new Date('2999-01-01T00:00:00.000Z');
/** Later than any claim a test takes, so draining sees every unrelayed event. */
const END_OF_TIME = new Date('3000-01-01T00:00:00.000Z');

export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** A name no other test uses (agents, keys), in the agent-name alphabet. */
export function uid(prefix: string): string {
  return `${prefix}-${randomId(8)}`;
}

export function newJob(agent: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: newJobId(),
    agent,
    message: 'uptime -p',
    requester: { identity: 'slack:T1/U2', displayName: 'Alice' },
    thread: { platform: 'slack', conversationId: 'C123', threadId: '1700000000.000100', opaque: { team: 'T1', nested: { n: 1 } } },
    state: 'queuing',
    reason: null,
    timeoutMs: 600_000,
    expiresAt: at(600_000),
    parentId: null,
    createdAt: T0,
    ...overrides,
  };
}

/** Marks every pending outbox event relayed and prunes them, so a test sees only its own. */
export async function drainOutbox(stores: Stores): Promise<void> {
  for (;;) {
    const events = await stores.outbox.claimUnrelayed(END_OF_TIME, END_OF_TIME, 1000);
    if (events.length === 0) break;
    await stores.outbox.markRelayed(
      events.map((e) => e.id),
      T0,
    );
  }
  await stores.outbox.prune(END_OF_TIME);
}

/** A lease id generator that records what it handed out. */
export function leaseSource(): { next: () => string; issued: string[] } {
  const issued: string[] = [];
  return {
    issued,
    next: () => {
      const lease = `lease-${randomId(12)}`;
      issued.push(lease);
      return lease;
    },
  };
}
