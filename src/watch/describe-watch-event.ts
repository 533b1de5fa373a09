import type { MessageStatus } from '../core/chat-adapter.js';
import type { BusEvent, EventAgentStatusPayload, EventFleetDriftPayload, EventJobStatusPayload } from '../core/events.js';

/** One line about a watch event, the same in the terminal (`skadi watch`) and in chat (`watch.notify`). */
export interface WatchLine {
  text: string;
  status: MessageStatus;
}

function agentStatus(p: EventAgentStatusPayload): WatchLine {
  if (p.to === 'offline') return { text: `agent ${p.agent} is offline (last seen ${p.lastSeenAt ?? 'never'}${p.version ? `, version ${p.version}` : ''})`, status: 'expired' };
  return { text: `agent ${p.agent} is back online${p.version ? ` (version ${p.version})` : ''}`, status: 'succeeded' };
}

function fleetDrift(p: EventFleetDriftPayload): WatchLine {
  const entries = Object.entries(p.versions);
  if (entries.length === 1) {
    const [version, names] = entries[0]!;
    return { text: `fleet runs one version again: ${version} on all ${names.length} online agent(s)`, status: 'succeeded' };
  }
  // A large fleet would make an unreadable line: name a few agents per version and count the rest.
  const parts = entries.map(([version, names]) => `${version} on ${names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`}`);
  return { text: `fleet version drift: ${parts.join('; ')}`, status: 'failed' };
}

function jobStatus(p: EventJobStatusPayload): WatchLine {
  return { text: `job ${p.jobId} on ${p.agent}: ${p.from ?? 'new'} -> ${p.to}${p.reason ? ` (${p.reason})` : ''}`, status: 'info' };
}

/** Describes an event of a watchable kind; null for kinds that are not (EventMessage). */
export function describeWatchEvent(event: Pick<BusEvent, 'name' | 'payload'>): WatchLine | null {
  switch (event.name) {
    case 'EventAgentStatus':
      return agentStatus(event.payload as EventAgentStatusPayload);
    case 'EventFleetDrift':
      return fleetDrift(event.payload as EventFleetDriftPayload);
    case 'EventJobStatus':
      return jobStatus(event.payload as EventJobStatusPayload);
    default:
      return null;
  }
}
