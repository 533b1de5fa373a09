import type { EntityTarget } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { SqlParam, StoreDb } from './store-db.js';

/**
 * An entity's columns for raw SQL, taken from TypeORM's metadata so that a column added to the
 * entity (and its migration) is read and written here too. Values go through the driver's own
 * conversions and the columns' transformers, as the QueryBuilder would: MySQL's bigint
 * strings become numbers, SQLite's 0/1 booleans, and back.
 */
export class RawEntity<T extends object> {
  private readonly columns: readonly ColumnMetadata[];
  /** `"col_a", "col_b", …` in the entity's column order (pass through StoreDb.sql). */
  readonly columnList: string;

  constructor(
    private readonly db: StoreDb,
    target: EntityTarget<T>,
  ) {
    this.columns = db.dataSource.getMetadata(target).columns;
    this.columnList = this.columns.map((c) => `"${c.databaseName}"`).join(', ');
  }

  /** `?, ?, …`, one per column. */
  get placeholders(): string {
    return this.columns.map(() => '?').join(', ');
  }

  /** A row as the driver returned it (keys are column names) to the entity. */
  fromRaw(raw: Record<string, unknown>): T {
    const driver = this.db.dataSource.driver;
    const row: Record<string, unknown> = {};
    for (const column of this.columns) row[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    return row as T;
  }

  /** The entity's values in column order, ready to bind. */
  params(row: T): SqlParam[] {
    const driver = this.db.dataSource.driver;
    return this.columns.map((column) => {
      const value = driver.preparePersistentValue((row as Record<string, unknown>)[column.propertyName], column) as SqlParam | undefined;
      return value === undefined ? null : value;
    });
  }
}
