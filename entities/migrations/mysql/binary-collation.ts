import type { QueryRunner } from 'typeorm';

/**
 * The server's binary, no-pad utf8mb4 collation. Keys (idempotency keys, event ids used for
 * de-duplication, token ids) must compare as SQLite compares them: `Ev1a` ≠ `Ev1A` and
 * `a` ≠ `a `. The default utf8mb4 collations ignore case and trailing spaces, which would
 * merge two distinct keys into one.
 */
export async function binaryCollation(q: QueryRunner): Promise<string> {
  const rows = (await q.query('SELECT VERSION() AS version')) as Array<{ version: string }>;
  const version = rows[0]?.version ?? '';
  if (/mariadb/i.test(version)) return 'utf8mb4_nopad_bin';
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
  if (major > 8 || (major === 8 && (minor > 0 || patch >= 17))) return 'utf8mb4_0900_bin';
  return 'utf8mb4_bin';
}
