import type { DataSource } from 'typeorm';

/**
 * Entities declare long strings as `text`, the one text type SQLite (and TypeORM's SQLite
 * validator) knows. MySQL's `text` holds only 64 KB, too little for job output, so on MySQL
 * every `text` column is widened to `longtext` — the MySQL migrations create it that way.
 * Decorators run once per process, so the type cannot be chosen there; patching the built
 * metadata keeps it per DataSource (a process may hold a SQLite and a MySQL one).
 */
export function applyDialectColumnTypes(dataSource: DataSource): void {
  const type = dataSource.options.type;
  if (type !== 'mysql' && type !== 'mariadb') return;
  for (const entity of dataSource.entityMetadatas) {
    for (const column of entity.columns) {
      if (column.type === 'text') column.type = 'longtext';
    }
  }
}
