import { ACTIVE_STATES, SkadiError } from '../core/index.js';
import type { Clock, Job, JobListFilter, JobState, JobStore, NewJob, TransitionRequest, TransitionResult } from '../core/index.js';
import { JobEntity, JobOutputEntity } from '../../entities/index.js';
import { isUniqueViolation } from './db-errors.js';
import { newJobRow, toJob } from './job-row.js';
import { jobStatusEvent, outboxRow } from './job-status-event.js';
import { JobSql } from './job-sql.js';
import { applyTransitions, assertAllowed, collectOutput, meetsCondition, type AppliedTransition } from './job-transition.js';
import { padInList, type AtomicStep, type StoreDb } from './store-db.js';

// A CAS that lost only to a change that left the job eligible (another transition in
// between) is tried again from a fresh read; more than a few rounds means heavy contention.
const MAX_CAS_ROUNDS = 5;

/** Rows created queuing by this store and not yet claimed here, kept for claims by hint (oldest dropped first). */
const MAX_FRESH_ROWS = 4096;

function result(applied: AppliedTransition): TransitionResult {
  return { job: toJob(applied.row), event: applied.event };
}

/**
 * JobStore over TypeORM: every transition is a compare-and-set that writes its outbox event in
 * the same transaction. The hot path (get, claim, transitions, output) is raw SQL bound with
 * parameters (job-sql.ts); listings and timer queries use the QueryBuilder.
 */
export class TypeormJobStore implements JobStore {
  private readonly sql: JobSql;
  /** get() calls made in one tick, answered by one SELECT … IN (…). */
  private pendingGets: Map<string, Array<{ resolve: (row: JobEntity | null) => void; reject: (err: unknown) => void }>> | null = null;
  /**
   * Rows this store created in state queuing, as written, by id: a poll woken for one of them
   * claims it by primary key with this row as the compare-and-set's expected version, without
   * reading the queue. A stale row (claimed, cancelled or expired elsewhere) only loses its CAS.
   */
  private readonly fresh = new Map<string, JobEntity>();

  constructor(
    private readonly db: StoreDb,
    private readonly clock: Clock,
  ) {
    this.sql = new JobSql(db);
  }

  async create(job: NewJob, outboxClaimUntil: Date): Promise<TransitionResult> {
    const row = newJobRow(job);
    const event = jobStatusEvent(row, null, job.createdAt);
    try {
      const steps: AtomicStep[] = [
        { sql: this.sql.insertJob, params: this.sql.job.params(row) },
        { sql: this.sql.insertOutbox, params: JobSql.outboxParams(outboxRow(event, outboxClaimUntil)) },
      ];
      const audit = job.audit;
      if (audit) steps.push({ sql: this.sql.insertAudit, params: [audit.at.getTime(), audit.actor, audit.action, audit.target, audit.decision, audit.detail === null ? null : JSON.stringify(audit.detail)] });
      await this.db.atomic(steps);
    } catch (err) {
      // Two requests with one Idempotency-Key raced past the service's lookup: tell it which
      // job won, so it can answer with that one (same fingerprint) or refuse (different).
      if (job.idempotency && isUniqueViolation(err)) {
        const existing = await this.findByIdempotencyKey(job.idempotency.scope, job.idempotency.key);
        if (existing) {
          throw new SkadiError('SKADI_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used', {
            jobId: existing.job.id,
            sameRequest: existing.fingerprint === job.idempotency.fingerprint,
          });
        }
      }
      throw err;
    }
    if (row.state === 'queuing') {
      this.fresh.set(row.id, row);
      if (this.fresh.size > MAX_FRESH_ROWS) this.fresh.delete(this.fresh.keys().next().value!);
    }
    return { job: toJob(row), event };
  }

  async get(id: string): Promise<Job | null> {
    const row = await this.batchedRow(id);
    return row ? toJob(row) : null;
  }

  /**
   * The row of `id`, read fresh. Calls made in the same tick (a poll checking the jobs an agent
   * runs, concurrent requests) share one SELECT … WHERE id IN (…); each still sees the row as it
   * is after its call was made.
   */
  private batchedRow(id: string): Promise<JobEntity | null> {
    return new Promise((resolve, reject) => {
      if (!this.pendingGets) {
        this.pendingGets = new Map();
        queueMicrotask(() => void this.flushGets());
      }
      const waiting = this.pendingGets.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.pendingGets.set(id, [{ resolve, reject }]);
    });
  }

  private async flushGets(): Promise<void> {
    const batch = this.pendingGets!;
    this.pendingGets = null;
    const ids = [...batch.keys()];
    try {
      const found = new Map<string, JobEntity>();
      for (let i = 0; i < ids.length; i += 128) {
        const chunk = padInList(ids.slice(i, i + 128));
        const sql = chunk.length === 1 ? this.sql.selectById : this.sql.selectByIds(chunk.length);
        const { rows } = await this.db.query(sql, chunk);
        for (const raw of rows) {
          const row = this.sql.job.fromRaw(raw);
          found.set(row.id, row);
        }
      }
      for (const [id, waiting] of batch) for (const w of waiting) w.resolve(found.has(id) ? { ...found.get(id)! } : null);
    } catch (err) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
    }
  }

  async findByIdempotencyKey(scope: string, key: string): Promise<{ job: Job; fingerprint: string } | null> {
    const row = await this.db.run((em) =>
      em.createQueryBuilder(JobEntity, 'j').where('j.idempotencyScope = :scope AND j.idempotencyKey = :key', { scope, key }).getOne(),
    );
    return row ? { job: toJob(row), fingerprint: row.idempotencyFingerprint ?? '' } : null;
  }

  async list(filter: JobListFilter): Promise<Job[]> {
    if (filter.states?.length === 0 || filter.limit <= 0) return [];
    const rows = await this.db.run((em) => {
      const q = em.createQueryBuilder(JobEntity, 'j');
      if (filter.agent !== undefined) q.andWhere('j.agent = :agent', { agent: filter.agent });
      if (filter.states) q.andWhere('j.state IN (:...states)', { states: [...filter.states] });
      if (filter.requester !== undefined) q.andWhere('j.requesterIdentity = :requester', { requester: filter.requester });
      if (filter.parentId !== undefined) q.andWhere('j.parentId = :parentId', { parentId: filter.parentId });
      if (filter.before) q.andWhere('j.createdAt < :before', { before: filter.before.getTime() });
      return q.orderBy('j.createdAt', 'DESC').addOrderBy('j.id', 'DESC').limit(filter.limit).getMany();
    });
    return rows.map(toJob);
  }

  async transition(req: TransitionRequest, outboxClaimUntil: Date): Promise<TransitionResult | null> {
    assertAllowed(req);
    // A result's output (its chunks are complete: the service checked) is read alongside the
    // row, not after it: on MySQL one round trip fewer. SQLite reads synchronously either way.
    const output = this.db.dialect === 'mysql' && req.patch?.collectOutput && req.patch.output === undefined ? collectOutput(this.db, req.jobId) : null;
    output?.catch(() => undefined); // awaited below unless the job no longer qualifies
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const current = await this.batchedRow(req.jobId);
      if (!current || !meetsCondition(current, req)) return null;
      const effective = output ? { ...req, patch: { ...req.patch, output: await output } } : req;
      const [applied] = await applyTransitions(this.db, this.sql, [{ current, req: effective }], outboxClaimUntil);
      if (applied) return result(applied);
    }
    return null;
  }

  async claimQueued(agent: string, max: number, leases: () => string, ackDeadline: Date, at: Date, outboxClaimUntil: Date, hint?: readonly string[]): Promise<TransitionResult[]> {
    if (max <= 0) return [];
    const claim = (current: JobEntity) => ({ current, req: { jobId: current.id, from: ['queuing'], to: 'sent', patch: { leaseId: leases(), ackDeadline }, at } satisfies TransitionRequest });
    if (hint?.length) {
      // Woken for jobs this store just created: claimed by primary key, no read. If another
      // caller took them all, the queue is searched as usual below.
      const known: JobEntity[] = [];
      for (const id of hint) {
        const row = this.fresh.get(id);
        if (row && row.agent === agent && row.expiresAt >= at.getTime()) known.push(row);
      }
      known.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const picked = known.slice(0, max);
      for (const row of picked) this.fresh.delete(row.id);
      if (picked.length > 0) {
        const won = await applyTransitions(this.db, this.sql, picked.map(claim), outboxClaimUntil, { urgent: true });
        if (won.length > 0) return won.map(result);
      }
    }
    // The hot path: an idle agent's poll costs this one indexed SELECT. A job whose timeout
    // already passed is left for the expiry timer rather than handed out.
    const found = await this.db.query(this.sql.selectQueued, [agent, 'queuing', at.getTime(), max]);
    if (found.rows.length === 0) return [];
    const candidates = found.rows.map((raw) => this.sql.job.fromRaw(raw));
    // Another process may have read the same candidates; the per-row CAS hands each to one
    // of us. Rows are updated in the same order everywhere, so MySQL claimers queue on the
    // row locks instead of deadlocking.
    for (const row of candidates) this.fresh.delete(row.id);
    const won = await applyTransitions(this.db, this.sql, candidates.map(claim), outboxClaimUntil, { urgent: true });
    return won.map(result);
  }

  async findAckOverdue(now: Date, limit: number): Promise<Job[]> {
    const rows = await this.db.run((em) =>
      em
        .createQueryBuilder(JobEntity, 'j')
        .where('j.state = :state AND j.ackDeadline < :now', { state: 'sent', now: now.getTime() })
        .orderBy('j.ackDeadline', 'ASC')
        .addOrderBy('j.id', 'ASC')
        .limit(limit)
        .getMany(),
    );
    return rows.map(toJob);
  }

  async findTimedOut(now: Date, limit: number): Promise<Job[]> {
    const rows = await this.db.run((em) =>
      em
        .createQueryBuilder(JobEntity, 'j')
        .where('j.state IN (:...states) AND j.expiresAt < :now', { states: [...ACTIVE_STATES], now: now.getTime() })
        .orderBy('j.expiresAt', 'ASC')
        .addOrderBy('j.id', 'ASC')
        .limit(limit)
        .getMany(),
    );
    return rows.map(toJob);
  }

  async findActiveByAgent(agent: string, states: readonly JobState[], limit: number): Promise<Job[]> {
    if (states.length === 0) return [];
    const rows = await this.db.run((em) =>
      em
        .createQueryBuilder(JobEntity, 'j')
        .where('j.agent = :agent AND j.state IN (:...states)', { agent, states: [...states] })
        .orderBy('j.createdAt', 'ASC')
        .addOrderBy('j.id', 'ASC')
        .limit(limit)
        .getMany(),
    );
    return rows.map(toJob);
  }

  async appendOutput(jobId: string, seq: number, data: string): Promise<boolean> {
    try {
      const at = this.clock.now().getTime();
      await this.db.writeOne(this.sql.insertOutput, [jobId, seq, data, data.length, at]);
      return true;
    } catch (err) {
      // The (job_id, seq) key makes a resent chunk a no-op; the first copy wins.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async outputStats(jobId: string): Promise<{ chunks: number; maxSeq: number; size: number }> {
    const { rows } = await this.db.query<{ chunks: number | string; maxSeq: number | string | null; size: number | string | null }>(this.sql.outputStats, [jobId]);
    const raw = rows[0];
    // MySQL returns COUNT/SUM as strings (bigint, decimal). maxSeq is -1 when there is no chunk.
    return { chunks: Number(raw?.chunks ?? 0), maxSeq: raw?.maxSeq == null ? -1 : Number(raw.maxSeq), size: Number(raw?.size ?? 0) };
  }

  async readOutput(jobId: string): Promise<string> {
    const hasChunks = await this.db.run((em) => em.createQueryBuilder(JobOutputEntity, 'o').where('o.jobId = :jobId', { jobId }).getExists());
    if (hasChunks) return collectOutput(this.db, jobId);
    // Output that never came in chunks (or whose chunks were removed) lives on the job.
    const job = await this.db.run((em) => em.createQueryBuilder(JobEntity, 'j').select('j.output', 'output').where('j.id = :jobId', { jobId }).getRawOne<{ output: string | null }>());
    return job?.output ?? '';
  }

  async countByState(): Promise<Partial<Record<JobState, number>>> {
    const rows = await this.db.run((em) =>
      em.createQueryBuilder(JobEntity, 'j').select('j.state', 'state').addSelect('COUNT(*)', 'n').groupBy('j.state').getRawMany<{ state: JobState; n: number | string }>(),
    );
    const counts: Partial<Record<JobState, number>> = {};
    for (const { state, n } of rows) counts[state] = Number(n);
    return counts;
  }
}
