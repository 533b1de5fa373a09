import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in `bigint` columns: exact to the millisecond,
 * free of time zones and sortable the same way on SQLite and MySQL. mysql2 hands bigints
 * back as strings (bigNumberStrings), better-sqlite3 as numbers; this makes both numbers.
 * Entities keep the database's shape (numbers, JSON strings); src/store maps them to the
 * domain types.
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
