import type { FanOutPlan, Job, NewJob, ThreadRef } from '../core/index.js';
import { isTerminal } from '../core/index.js';
import type { JobEntity } from '../../entities/index.js';
import { toDate } from './dates.js';

/** The job's ThreadRef, decoded from its JSON column. */
export function threadOf(row: JobEntity): ThreadRef | null {
  return row.thread === null ? null : (JSON.parse(row.thread) as ThreadRef);
}

/** A jobs row as the domain's Job. */
export function toJob(row: JobEntity): Job {
  return {
    id: row.id,
    agent: row.agent,
    message: row.message,
    requester: row.requesterName === null ? { identity: row.requesterIdentity } : { identity: row.requesterIdentity, displayName: row.requesterName },
    thread: threadOf(row),
    state: row.state,
    reason: row.reason,
    version: row.version,
    attempt: row.attempt,
    leaseId: row.leaseId,
    ackDeadline: toDate(row.ackDeadline),
    expiresAt: new Date(row.expiresAt),
    timeoutMs: row.timeoutMs,
    exitCode: row.exitCode,
    output: row.output,
    outputTruncated: row.outputTruncated,
    parentId: row.parentId,
    signature: row.signature,
    ...(row.fanout ? { fanout: JSON.parse(row.fanout) as FanOutPlan } : {}),
    createdAt: new Date(row.createdAt),
    sentAt: toDate(row.sentAt),
    runningAt: toDate(row.runningAt),
    finishedAt: toDate(row.finishedAt),
    updatedAt: new Date(row.updatedAt),
  };
}

/** The row for a new job: version 1, first delivery attempt 1, no lease. */
export function newJobRow(job: NewJob): JobEntity {
  const created = job.createdAt.getTime();
  return {
    id: job.id,
    agent: job.agent,
    message: job.message,
    requesterIdentity: job.requester.identity,
    requesterName: job.requester.displayName ?? null,
    thread: job.thread === null ? null : JSON.stringify(job.thread),
    state: job.state,
    reason: job.reason,
    version: 1,
    attempt: 1,
    leaseId: null,
    ackDeadline: null,
    expiresAt: job.expiresAt.getTime(),
    timeoutMs: job.timeoutMs,
    exitCode: null,
    output: null,
    outputTruncated: false,
    parentId: job.parentId,
    idempotencyScope: job.idempotency?.scope ?? null,
    idempotencyKey: job.idempotency?.key ?? null,
    idempotencyFingerprint: job.idempotency?.fingerprint ?? null,
    signature: job.signature ?? null,
    kind: null,
    fanout: null,
    createdAt: created,
    sentAt: null,
    runningAt: null,
    // A job created `expired` (agent offline) is finished at birth.
    finishedAt: isTerminal(job.state) ? created : null,
    updatedAt: created,
  };
}
