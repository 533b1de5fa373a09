import type { JobState } from './job.js';
import type { AgentStatus } from './agent.js';
import type { InboundMessage } from './chat-adapter.js';

/** A job changed state. Written to the outbox in the same transaction as the transition. */
export interface EventJobStatusPayload {
  jobId: string;
  agent: string;
  /** null for the creation of the job. */
  from: JobState | null;
  to: JobState;
  reason: string | null;
  /** ISO timestamp of the transition. */
  at: string;
  /** The job's version after this transition; (jobId, version) is unique. */
  version: number;
  attempt: number;
  /** Platform of the job's thread, so consumers can filter without loading the job. */
  platform: string | null;
  /** Set on a fan-out child's events: its parent (so the fan-out consumer skips other jobs unread). */
  parentId?: string;
  /** Set on a fan-out parent's events. */
  fanOut?: true;
}

/** A normalised inbound chat message was accepted by the dispatcher. */
export interface EventMessagePayload {
  message: Omit<InboundMessage, 'raw' | 'receivedAt'> & { receivedAt: string };
  /** Job created from the message, if any. */
  jobId: string | null;
  /** Built-in command answered, if any. */
  command: string | null;
}

/** An agent went offline (no check-in for the offline threshold) or came back online. */
export interface EventAgentStatusPayload {
  agent: string;
  from: AgentStatus;
  to: AgentStatus;
  /** ISO time the change was detected. */
  at: string;
  /** ISO time of the agent's last check-in (for a come-back: this one); null if it never checked in. */
  lastSeenAt: string | null;
  /** Agent version it last reported, if any. */
  version: string | null;
}

/**
 * The versions the online agents run changed: `versions` maps each version to the agents
 * running it (more than one key means the fleet has drifted; one key means it is uniform again).
 */
export interface EventFleetDriftPayload {
  /** Version (`unknown` for agents that report none) -> agent names, sorted. */
  versions: Record<string, string[]>;
  /** ISO time the change was detected. */
  at: string;
}

/**
 * Every event on the bus, declared once. Types derive from this dictionary; the description
 * is what the README lists.
 */
export const EVENTS = {
  EventJobStatus: {
    stream: 'skadi.job-status',
    description: 'A job changed state (from, to, reason, version).',
    payload: undefined as unknown as EventJobStatusPayload,
  },
  EventMessage: {
    stream: 'skadi.message',
    description: 'A chat message was accepted by the dispatcher (and the job it created).',
    payload: undefined as unknown as EventMessagePayload,
  },
  EventAgentStatus: {
    stream: 'skadi.agent-status',
    description: 'An agent went offline or came back online (from, to, last seen, version).',
    payload: undefined as unknown as EventAgentStatusPayload,
  },
  EventFleetDrift: {
    stream: 'skadi.fleet-drift',
    description: 'The set of versions the online agents run changed (version -> agents).',
    payload: undefined as unknown as EventFleetDriftPayload,
  },
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<N extends EventName> = (typeof EVENTS)[N]['payload'];

/** An event as delivered to a consumer. */
export interface BusEvent<N extends EventName = EventName> {
  /** Unique id; the same event may be delivered more than once (after a crash), never with another id. */
  id: string;
  name: N;
  payload: EventPayload<N>;
}
