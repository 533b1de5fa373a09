import type { DataSource } from 'typeorm';
import { systemClock } from '../core/index.js';
import type { Clock, Logger, Stores } from '../core/index.js';
import { StoreDb } from './store-db.js';
import { TypeormAgentStore } from './typeorm-agent-store.js';
import { TypeormAuditStore } from './typeorm-audit-store.js';
import { TypeormFanOutStore } from './typeorm-fan-out-store.js';
import { TypeormJobStore } from './typeorm-job-store.js';
import { TypeormKeyValueStore } from './typeorm-kv-store.js';
import { TypeormOutboxStore } from './typeorm-outbox-store.js';
import { TypeormReplyStore } from './typeorm-reply-store.js';
import { TypeormTokenStore } from './typeorm-token-store.js';

export interface TypeormStoresDeps {
  /** Time for values the interfaces do not timestamp themselves (KV expiry, chunk arrival). */
  clock?: Clock;
  logger?: Logger;
}

/** All stores over one initialised DataSource (which the stores' close() destroys). */
export function storesOver(dataSource: DataSource, deps: TypeormStoresDeps = {}): Stores {
  const db = new StoreDb(dataSource);
  const clock = deps.clock ?? systemClock;
  return {
    jobs: new TypeormJobStore(db, clock),
    agents: new TypeormAgentStore(db),
    tokens: new TypeormTokenStore(db),
    audit: new TypeormAuditStore(db),
    outbox: new TypeormOutboxStore(db),
    replies: new TypeormReplyStore(db),
    kv: new TypeormKeyValueStore(db, clock),
    fanOuts: new TypeormFanOutStore(db),
    async ping() {
      await db.run((em) => em.query('SELECT 1'));
    },
    async close() {
      await db.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

