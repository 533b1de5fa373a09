import type { EntityManager, EntityTarget, ObjectLiteral, UpdateResult } from 'typeorm';
import { isUniqueViolation } from './db-errors.js';
import type { StoreDb } from './store-db.js';

/** Inserts `row`; false (not an error) when a row with its primary key exists already. */
export async function insertIfAbsent(db: StoreDb, entity: EntityTarget<ObjectLiteral>, row: ObjectLiteral): Promise<boolean> {
  try {
    await db.run((em) => em.createQueryBuilder().insert().into(entity).values(row).updateEntity(false).execute());
    return true;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return false;
  }
}

/**
 * A lease on a key, for the KV store and reply claims: inserts `row`, or, when the key is held,
 * runs `takeOver` — an UPDATE whose WHERE re-checks that the holder's time has run out, so of two
 * processes racing for an expired key only one wins. True if this call now holds the key.
 */
export async function insertOrTakeOver(
  db: StoreDb,
  entity: EntityTarget<ObjectLiteral>,
  row: ObjectLiteral,
  takeOver: (em: EntityManager) => Promise<UpdateResult>,
): Promise<boolean> {
  if (await insertIfAbsent(db, entity, row)) return true;
  const result = await db.run(takeOver);
  return result.affected === 1;
}
