import type { EventJobStatusPayload, JobState, OutboxEvent } from '../core/index.js';
import type { JobEntity, OutboxEventEntity } from '../../entities/index.js';
import { threadOf } from './job-row.js';

/** The EventJobStatus for a job row that just reached `row.state` from `from` at `at`. */
export function jobStatusEvent(row: JobEntity, from: JobState | null, at: Date): OutboxEvent<'EventJobStatus'> {
  const payload: EventJobStatusPayload = {
    jobId: row.id,
    agent: row.agent,
    from,
    to: row.state,
    reason: row.reason,
    at: at.toISOString(),
    version: row.version,
    attempt: row.attempt,
    platform: threadOf(row)?.platform ?? null,
    ...(row.parentId ? { parentId: row.parentId } : {}),
    ...(row.kind === 'fanout' ? { fanOut: true as const } : {}),
  };
  // (jobId, version) is unique, so the id is stable across redelivery of the same event.
  return { id: `${row.id}:${row.version}`, name: 'EventJobStatus', payload, createdAt: at };
}

/** The outbox row that carries an event until it is relayed. */
export function outboxRow(event: OutboxEvent, claimUntil: Date): OutboxEventEntity {
  return {
    id: event.id,
    name: event.name,
    payload: JSON.stringify(event.payload),
    createdAt: event.createdAt.getTime(),
    claimUntil: claimUntil.getTime(),
    claimToken: null,
    relayedAt: null,
  };
}
