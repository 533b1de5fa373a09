import type { EntityManager, QueryDeepPartialEntity } from 'typeorm';
import { canTransition, InvalidTransitionError, isTerminal } from '../core/index.js';
import type { OutboxEvent, TransitionRequest } from '../core/index.js';
import { JobEntity, JobOutputEntity, OutboxEventEntity } from '../../entities/index.js';
import { jobStatusEvent, outboxRow } from './job-status-event.js';

/** A transition that took effect: the row as now stored and the event it produced. */
export interface AppliedTransition {
  row: JobEntity;
  event: OutboxEvent<'EventJobStatus'>;
}

/** Refuses requests the state machine never allows: a caller bug, not a lost race. */
export function assertAllowed(req: TransitionRequest): void {
  const refused = req.from.filter((state) => !canTransition(state, req.to));
  if (req.from.length === 0 || refused.length > 0) {
    throw new InvalidTransitionError(`a job cannot move from ${refused.join('/') || '(no state)'} to ${req.to}`, {
      jobId: req.jobId,
      from: [...req.from],
      to: req.to,
    });
  }
}

/** Whether the row meets the request's condition (state; lease and agent when expected). */
export function meetsCondition(row: JobEntity, req: TransitionRequest): boolean {
  if (!req.from.includes(row.state)) return false;
  if (req.expectAgent !== undefined && row.agent !== req.expectAgent) return false;
  return req.expectLeaseId === undefined || row.leaseId === req.expectLeaseId;
}

/** The columns a transition writes, and the row they produce from `current`. */
function plan(current: JobEntity, req: TransitionRequest, output: string | undefined) {
  const at = req.at.getTime();
  const patch = req.patch ?? {};
  // `reason` explains the state the job is in, so a transition without one clears it.
  const set: QueryDeepPartialEntity<JobEntity> = { state: req.to, reason: req.reason ?? null, updatedAt: at };
  if (req.to === 'sent') set.sentAt = at;
  if (req.to === 'running') set.runningAt = at;
  if (isTerminal(req.to)) set.finishedAt = at;
  if (patch.leaseId !== undefined) set.leaseId = patch.leaseId;
  if (patch.ackDeadline !== undefined) set.ackDeadline = patch.ackDeadline?.getTime() ?? null;
  if (patch.incrementAttempt) set.attempt = current.attempt + 1;
  if (patch.exitCode !== undefined) set.exitCode = patch.exitCode;
  if (patch.outputTruncated !== undefined) set.outputTruncated = patch.outputTruncated;
  if (output !== undefined) set.output = output;
  const row = { ...current, ...(set as Partial<JobEntity>), version: current.version + 1 };
  return { set, row };
}

/**
 * Compare-and-set of one job read at `current.version`: `UPDATE … SET …, version = version + 1
 * WHERE id AND version AND state IN (from) [AND lease] [AND agent]`. The version pins the
 * exact row read, so the event's `from` is exact. Null when another writer got there first.
 * Call inside a transaction.
 */
export async function casTransition(em: EntityManager, current: JobEntity, req: TransitionRequest): Promise<AppliedTransition | null> {
  const output = req.patch?.collectOutput ? await collectOutput(em, current.id) : undefined;
  const { set, row } = plan(current, req, output);
  const query = em
    .createQueryBuilder()
    .update(JobEntity)
    .set({ ...set, version: () => 'version + 1' })
    .where('id = :id AND version = :version AND state IN (:...from)', { id: current.id, version: current.version, from: [...req.from] })
    .updateEntity(false);
  if (req.expectLeaseId === null) query.andWhere('lease_id IS NULL');
  else if (req.expectLeaseId !== undefined) query.andWhere('lease_id = :lease', { lease: req.expectLeaseId });
  if (req.expectAgent !== undefined) query.andWhere('agent = :agent', { agent: req.expectAgent });
  const result = await query.execute();
  if (result.affected !== 1) return null;
  return { row, event: jobStatusEvent(row, current.state, req.at) };
}

/** Writes the events of applied transitions to the outbox (same transaction). */
export async function insertEvents(em: EntityManager, applied: readonly AppliedTransition[], claimUntil: Date): Promise<void> {
  if (applied.length === 0) return;
  await em
    .createQueryBuilder()
    .insert()
    .into(OutboxEventEntity)
    .values(applied.map((a) => outboxRow(a.event, claimUntil)))
    .updateEntity(false)
    .execute();
}

/** The job's stored output chunks, concatenated in seq order. */
export async function collectOutput(em: EntityManager, jobId: string): Promise<string> {
  const chunks = await em
    .createQueryBuilder(JobOutputEntity, 'o')
    .select('o.data', 'data')
    .where('o.jobId = :jobId', { jobId })
    .orderBy('o.seq', 'ASC')
    .getRawMany<{ data: string }>();
  return chunks.map((c) => c.data).join('');
}
