import type { Agent } from '../core/agent.js';

/** Label of agents that report no version. */
export const UNKNOWN_VERSION = 'unknown';

/** True when the agent checked in within the offline threshold (the rule the JobService applies). */
export function isOnlineNow(agent: Agent, now: Date, offlineAfterMs: number): boolean {
  return !agent.revokedAt && agent.status === 'online' && agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < offlineAfterMs;
}

/** Version -> sorted agent names, keys sorted, so equal fleets give equal JSON. */
export function versionsOf(agents: readonly Agent[]): Record<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const agent of agents) {
    const version = agent.version ?? UNKNOWN_VERSION;
    byVersion.set(version, [...(byVersion.get(version) ?? []), agent.name]);
  }
  const sorted: Record<string, string[]> = {};
  for (const version of [...byVersion.keys()].sort()) sorted[version] = byVersion.get(version)!.sort();
  return sorted;
}
