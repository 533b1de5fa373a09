import type { QueryDeepPartialEntity } from 'typeorm';
import { NotFoundError, SkadiError } from '../core/index.js';
import type { Agent, AgentStatus, AgentStore, CheckIn, NewAgent } from '../core/index.js';
import { AgentEntity } from '../../entities/index.js';
import { toDate } from './dates.js';
import { isUniqueViolation } from './db-errors.js';
import { RawEntity } from './raw-entity.js';
import type { StoreDb } from './store-db.js';

function toAgent(row: AgentEntity): Agent {
  const labels = JSON.parse(row.labels) as Record<string, string>;
  const reported = row.reportedLabels === null ? {} : (JSON.parse(row.reportedLabels) as Record<string, string>);
  return {
    name: row.name,
    // The agent's own labels (host, version, …) win over the admin's for the same key.
    labels: { ...labels, ...reported },
    status: row.status,
    lastSeenAt: toDate(row.lastSeenAt),
    version: row.version,
    host: row.host,
    os: row.os,
    revokedAt: toDate(row.revokedAt),
    createdAt: new Date(row.createdAt),
  };
}

// What an agent reports is free text; cut it to the column rather than fail its poll on MySQL
// (SQLite would store any length, so this also keeps the two alike).
function clip(value: string | null, max: number): string | null {
  return value === null ? null : value.slice(0, max);
}

/** AgentStore over TypeORM; check-in and offline marking are compare-and-set on the status. */
export class TypeormAgentStore implements AgentStore {
  /** Read on every job submitted (raw SQL: see StoreDb.exec). */
  private readonly raw: RawEntity<AgentEntity>;
  private readonly selectByName: string;

  constructor(private readonly db: StoreDb) {
    this.raw = new RawEntity(db, AgentEntity);
    this.selectByName = db.sql(`SELECT ${this.raw.columnList} FROM "agents" WHERE "name" = ?`);
  }

  async create(agent: NewAgent): Promise<Agent> {
    const row: AgentEntity = {
      name: agent.name,
      labels: JSON.stringify(agent.labels),
      reportedLabels: null,
      // Offline until its first check-in.
      status: 'offline',
      lastSeenAt: null,
      version: null,
      host: null,
      os: null,
      revokedAt: null,
      createdAt: agent.createdAt.getTime(),
    };
    try {
      await this.db.run((em) => em.createQueryBuilder().insert().into(AgentEntity).values(row).updateEntity(false).execute());
    } catch (err) {
      if (isUniqueViolation(err)) throw new SkadiError('SKADI_AGENT_EXISTS', `an agent named ${agent.name} already exists`, { agent: agent.name });
      throw err;
    }
    return toAgent(row);
  }

  async get(name: string): Promise<Agent | null> {
    const { rows } = await this.db.query(this.selectByName, [name]);
    return rows[0] ? toAgent(this.raw.fromRaw(rows[0])) : null;
  }

  async list(): Promise<Agent[]> {
    const rows = await this.db.run((em) => em.createQueryBuilder(AgentEntity, 'a').orderBy('a.name', 'ASC').getMany());
    return rows.map(toAgent);
  }

  async checkIn(name: string, info: CheckIn): Promise<AgentStatus | null> {
    const set: QueryDeepPartialEntity<AgentEntity> = { status: 'online', lastSeenAt: info.at.getTime() };
    if (info.version !== undefined) set.version = clip(info.version, 128);
    if (info.host !== undefined) set.host = clip(info.host, 255);
    if (info.os !== undefined) set.os = clip(info.os, 255);
    if (info.labels !== undefined) set.reportedLabels = JSON.stringify(info.labels);
    // The status before is learnt from which compare-and-set matches, not from a prior read,
    // so of two concurrent check-ins after an outage exactly one reports `offline` (one
    // "came back" event). An online agent — the usual poll — costs one UPDATE.
    for (let round = 0; round < 3; round++) {
      for (const before of ['online', 'offline'] as const) {
        const result = await this.db.run((em) =>
          em.createQueryBuilder().update(AgentEntity).set(set).where('name = :name AND status = :before', { name, before }).updateEntity(false).execute(),
        );
        if (result.affected === 1) return before;
      }
      if (!(await this.exists(name))) return null;
    }
    return null;
  }

  async markOffline(name: string, seenBefore: Date): Promise<boolean> {
    const result = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update(AgentEntity)
        .set({ status: 'offline' })
        .where("name = :name AND status = 'online' AND (last_seen_at IS NULL OR last_seen_at < :seenBefore)", { name, seenBefore: seenBefore.getTime() })
        .updateEntity(false)
        .execute(),
    );
    return result.affected === 1;
  }

  async findStale(seenBefore: Date, limit: number): Promise<Agent[]> {
    const rows = await this.db.run((em) =>
      em
        .createQueryBuilder(AgentEntity, 'a')
        .where("a.status = 'online' AND (a.lastSeenAt IS NULL OR a.lastSeenAt < :seenBefore)", { seenBefore: seenBefore.getTime() })
        .orderBy('a.lastSeenAt', 'ASC')
        .addOrderBy('a.name', 'ASC')
        .limit(limit)
        .getMany(),
    );
    return rows.map(toAgent);
  }

  /** Replaces the admin's labels; throws SKADI_AGENT_NOT_FOUND for an unknown agent. */
  async setLabels(name: string, labels: Record<string, string>): Promise<void> {
    const result = await this.db.run((em) =>
      em.createQueryBuilder().update(AgentEntity).set({ labels: JSON.stringify(labels) }).where('name = :name', { name }).updateEntity(false).execute(),
    );
    if (result.affected !== 1) throw new NotFoundError('SKADI_AGENT_NOT_FOUND', `no agent named ${name}`);
  }

  async patchLabels(name: string, set: Record<string, string>, remove: readonly string[]): Promise<{ admin: Record<string, string>; reported: Record<string, string> }> {
    return this.db.transaction(async (em) => {
      // Read under a row lock (MySQL; SQLite's write transaction is exclusive) so two admins'
      // changes never overwrite each other.
      const query = em.createQueryBuilder(AgentEntity, 'a').where('a.name = :name', { name });
      const row = await (this.db.dialect === 'mysql' ? query.setLock('pessimistic_write') : query).getOne();
      if (!row) throw new NotFoundError('SKADI_AGENT_NOT_FOUND', `no agent named ${name}`);
      const admin = { ...(JSON.parse(row.labels) as Record<string, string>), ...set };
      for (const key of remove) delete admin[key];
      await em.createQueryBuilder().update(AgentEntity).set({ labels: JSON.stringify(admin) }).where('name = :name', { name }).updateEntity(false).execute();
      const reported = row.reportedLabels === null ? {} : (JSON.parse(row.reportedLabels) as Record<string, string>);
      return { admin, reported };
    });
  }

  /** Sets revokedAt once; false if the agent is unknown or already revoked. */
  async revoke(name: string, at: Date): Promise<boolean> {
    const result = await this.db.run((em) =>
      em.createQueryBuilder().update(AgentEntity).set({ revokedAt: at.getTime() }).where('name = :name AND revoked_at IS NULL', { name }).updateEntity(false).execute(),
    );
    return result.affected === 1;
  }

  private async exists(name: string): Promise<boolean> {
    return this.db.run((em) => em.createQueryBuilder(AgentEntity, 'a').where('a.name = :name', { name }).getExists());
  }
}
