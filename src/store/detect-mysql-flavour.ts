import mysql from 'mysql2/promise';

/** Connection settings enough to ask a server what it is. */
export interface MysqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * Asks a `mysql://` server whether it is MariaDB. TypeORM's `mariadb` type uses
 * `INSERT … RETURNING` (faster, one round trip) which MySQL 8 rejects, so the type must match.
 */
export async function detectMysqlFlavour(endpoint: MysqlEndpoint): Promise<'mariadb' | 'mysql'> {
  const connection = await mysql.createConnection({ ...endpoint, connectTimeout: 10_000 });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0]?.version ?? '').toLowerCase().includes('mariadb') ? 'mariadb' : 'mysql';
  } finally {
    await connection.end();
  }
}
