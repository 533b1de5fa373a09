import { describe, expect, it } from 'vitest';
import { createDataSource } from '../../src/store/create-data-source.js';
import { runMigrations } from '../../src/store/run-migrations.js';

/** A fresh, empty database and how to throw it away. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The dialect's migrations build exactly the schema the entities describe, and undo cleanly. */
export function schemaContract(name: string, scratch: () => Promise<ScratchDatabase>): void {
  describe(`schema migrations: ${name}`, () => {
    it('produce exactly the entities schema (TypeORM finds nothing to change) and run once', async () => {
      const db = await scratch();
      const dataSource = await createDataSource(db.url);
      try {
        const before = await dataSource.driver.createSchemaBuilder().log();
        expect(before.upQueries.length).toBeGreaterThan(0); // the check can see a difference
        expect((await runMigrations(dataSource)).length).toBeGreaterThan(0);
        const after = await dataSource.driver.createSchemaBuilder().log();
        expect(after.upQueries.map((q) => q.query)).toEqual([]);
        expect(await runMigrations(dataSource)).toEqual([]);
      } finally {
        await dataSource.destroy();
        await db.drop();
      }
    });

    it('undo, one by one, back to an empty schema and can be applied again', async () => {
      const db = await scratch();
      const dataSource = await createDataSource(db.url);
      try {
        const applied = await runMigrations(dataSource);
        for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
        const runner = dataSource.createQueryRunner();
        try {
          expect(await runner.hasTable('jobs')).toBe(false);
          expect(await runner.hasTable('kv_entries')).toBe(false);
        } finally {
          await runner.release();
        }
        expect(await runMigrations(dataSource)).toEqual(applied);
        expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      } finally {
        await dataSource.destroy();
        await db.drop();
      }
    });
  });
}
