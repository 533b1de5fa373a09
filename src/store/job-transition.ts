import { canTransition, InvalidTransitionError, isTerminal } from '../core/index.js';
import type { OutboxEvent, TransitionRequest } from '../core/index.js';
import type { JobEntity } from '../../entities/index.js';
import { jobStatusEvent, outboxRow } from './job-status-event.js';
import { JobSql } from './job-sql.js';
import type { AtomicStep, SqlParam, StoreDb } from './store-db.js';

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

/** The columns a transition writes (column → value), and the row they produce from `current`. */
function plan(current: JobEntity, req: TransitionRequest, output: string | undefined) {
  const at = req.at.getTime();
  const patch = req.patch ?? {};
  // `reason` explains the state the job is in, so a transition without one clears it.
  const set: Array<[column: string, property: keyof JobEntity, value: SqlParam]> = [
    ['state', 'state', req.to],
    ['reason', 'reason', req.reason ?? null],
    ['updated_at', 'updatedAt', at],
  ];
  if (req.to === 'sent') set.push(['sent_at', 'sentAt', at]);
  if (req.to === 'running') set.push(['running_at', 'runningAt', at]);
  if (isTerminal(req.to)) set.push(['finished_at', 'finishedAt', at]);
  if (patch.leaseId !== undefined) set.push(['lease_id', 'leaseId', patch.leaseId]);
  if (patch.ackDeadline !== undefined) set.push(['ack_deadline', 'ackDeadline', patch.ackDeadline?.getTime() ?? null]);
  if (patch.incrementAttempt) set.push(['attempt', 'attempt', current.attempt + 1]);
  if (patch.exitCode !== undefined) set.push(['exit_code', 'exitCode', patch.exitCode]);
  if (patch.outputTruncated !== undefined) set.push(['output_truncated', 'outputTruncated', patch.outputTruncated]);
  if (output !== undefined) set.push(['output', 'output', output]);
  const row = { ...current, version: current.version + 1 } as JobEntity;
  for (const [, property, value] of set) (row as unknown as Record<string, unknown>)[property] = value;
  return { set, row };
}

/**
 * The compare-and-set of one job read at `current.version`: `UPDATE … SET …, version = version + 1
 * WHERE id AND version AND state IN (from) [AND lease] [AND agent]`. The version pins the exact
 * row read, so the event's `from` is exact. The statement shapes (which columns, how many
 * from-states) are a small fixed set, so SQLite keeps each prepared.
 */
function casUpdate(db: StoreDb, current: JobEntity, req: TransitionRequest, output: string | undefined): { step: AtomicStep; applied: AppliedTransition } {
  const { set, row } = plan(current, req, output);
  const params: SqlParam[] = set.map(([, , value]) => value);
  let where = `"id" = ? AND "version" = ? AND "state" IN (${req.from.map(() => '?').join(', ')})`;
  params.push(current.id, current.version, ...req.from);
  if (req.expectLeaseId === null) where += ' AND "lease_id" IS NULL';
  else if (req.expectLeaseId !== undefined) {
    where += ' AND "lease_id" = ?';
    params.push(req.expectLeaseId);
  }
  if (req.expectAgent !== undefined) {
    where += ' AND "agent" = ?';
    params.push(req.expectAgent);
  }
  const sql = db.sql(`UPDATE "jobs" SET ${set.map(([column]) => `"${column}" = ?`).join(', ')}, "version" = "version" + 1 WHERE ${where}`);
  return { step: { sql, params }, applied: { row, event: jobStatusEvent(row, current.state, req.at) } };
}

/**
 * Applies compare-and-set transitions, each with its outbox event, atomically: per job the
 * UPDATE, then the event's INSERT only if that UPDATE changed the row. Returns the ones that
 * took effect (the others lost to another writer). Jobs are updated in the order given, so
 * concurrent MySQL claimers queue on the row locks instead of deadlocking.
 */
export async function applyTransitions(
  db: StoreDb,
  sql: JobSql,
  items: ReadonlyArray<{ current: JobEntity; req: TransitionRequest }>,
  outboxClaimUntil: Date,
  options: { urgent?: boolean } = {},
): Promise<AppliedTransition[]> {
  const planned: AppliedTransition[] = [];
  const steps: AtomicStep[] = [];
  for (const { current, req } of items) {
    // The result's output: the chunks are complete (the service checked), so they are read first.
    const output = req.patch?.output ?? (req.patch?.collectOutput ? await collectOutput(db, current.id) : undefined);
    const { step, applied } = casUpdate(db, current, req, output);
    planned.push(applied);
    steps.push(step, { sql: sql.insertOutbox, params: JobSql.outboxParams(outboxRow(applied.event, outboxClaimUntil)), ifPreviousChanged: { conditionalSql: sql.insertOutboxIfChanged } });
  }
  const affected = await db.atomic(steps, options);
  return planned.filter((_, i) => affected[2 * i] === 1);
}

/** The job's stored output chunks, concatenated in seq order. */
export async function collectOutput(db: StoreDb, jobId: string): Promise<string> {
  const { rows } = await db.query<{ data: string }>(db.sql(`SELECT "data" FROM "job_outputs" WHERE "job_id" = ? ORDER BY "seq" ASC`), [jobId]);
  return rows.map((c) => String(c.data)).join('');
}
