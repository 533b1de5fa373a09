export type AgentStatus = 'online' | 'offline';

export interface Agent {
  name: string;
  labels: Record<string, string>;
  status: AgentStatus;
  /** Last check-in (poll); null if it never connected. */
  lastSeenAt: Date | null;
  version: string | null;
  host: string | null;
  os: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** Names share the chat namespace with built-in commands, so they are kept simple. */
export const AGENT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
