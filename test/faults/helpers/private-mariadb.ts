import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { captureOutput, freePort, kill9, scratchDir, spawnTracked, terminate, waitUntil } from './processes.js';

const MARIADBD = '/usr/sbin/mariadbd';
/** The database the skadi processes use inside the private server. */
export const FAULT_DATABASE = 'skadi';

export interface PrivateMariaDb {
  readonly port: number;
  /** `mysql://root@127.0.0.1:<port>/skadi`, for SKADI_DATABASE_URL. */
  readonly url: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** One statement on a short-lived connection to the `skadi` database. */
  query<T extends RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Starts the server again on the same port and data directory (after stop or kill9). */
  start(): Promise<void>;
  /** A clean shutdown (SIGTERM): what `systemctl restart` does. */
  stop(): Promise<void>;
  /** kill -9: a crash; the next start runs InnoDB crash recovery. */
  kill9(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
  /** The server's error log (for failure messages). */
  log(): string;
}

/**
 * A data directory made by mariadb-install-db once per suite (in `templateRoot`) and copied for
 * each instance: bootstrapping takes seconds, a copy a fraction of one.
 */
function dataTemplate(templateRoot: string | undefined): string | null {
  if (!templateRoot) return null;
  const template = join(templateRoot, 'mariadb-template');
  if (existsSync(template)) return template;
  const building = `${template}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  install(building);
  try {
    renameSync(building, template);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another worker won the race
  }
  return template;
}

function install(datadir: string): void {
  mkdirSync(datadir, { recursive: true });
  // --no-defaults: the machine's /etc/mysql/my.cnf names the shared server's port, socket and log.
  const args = ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db'];
  if (process.getuid?.() === 0) args.push('--user=root');
  const result = spawnSync('mariadb-install-db', args, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`mariadb-install-db failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/**
 * Starts a private MariaDB on a free loopback port with its own data directory, socket, pid
 * file and log, never the machine's shared server on 3306. Root has no password (loopback only).
 */
export async function startPrivateMariaDb(options: { templateRoot?: string } = {}): Promise<PrivateMariaDb> {
  const dir = scratchDir('skadi-faults-mariadb-');
  const datadir = join(dir.path, 'data');
  const template = dataTemplate(options.templateRoot);
  if (template) {
    const copied = spawnSync('cp', ['-a', template, datadir], { encoding: 'utf8' });
    if (copied.status !== 0) throw new Error(`copying the MariaDB template failed: ${copied.stderr}`);
  } else {
    install(datadir);
  }
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output: () => string = () => '';

  const connect = (database?: string) =>
    createConnection({ host: '127.0.0.1', port, user: 'root', password: '', ...(database ? { database } : {}), supportBigNumbers: true, bigNumberStrings: true, connectTimeout: 2000 });

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const args = [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir.path, 'mariadb.sock')}`,
      `--pid-file=${join(dir.path, 'mariadb.pid')}`,
      `--log-error=${join(dir.path, 'mariadb.err')}`,
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--innodb-buffer-pool-size=64M',
      '--performance-schema=OFF',
      '--max-connections=500',
    ];
    if (process.getuid?.() === 0) args.push('--user=root');
    const started = spawnTracked(MARIADBD, args);
    child = started;
    output = captureOutput(started);
    await waitUntil(
      `MariaDB on port ${port}`,
      async () => {
        if (started.exitCode !== null) throw new Error(`mariadbd exited with ${started.exitCode}: ${output()}`);
        const conn = await connect();
        await conn.end();
        return true;
      },
      60_000,
      100,
    );
  };

  await start();
  const admin = await connect();
  try {
    // Without the charset MariaDB may create it latin1 (RECIPES.md).
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${FAULT_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }

  const instance: PrivateMariaDb = {
    port,
    url: `mysql://root@127.0.0.1:${port}/${FAULT_DATABASE}`,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    async query<T extends RowDataPacket>(sql: string, params: unknown[] = []) {
      const conn = await connect(FAULT_DATABASE);
      try {
        const [rows] = await conn.query<T[]>(sql, params);
        return rows;
      } finally {
        await conn.end();
      }
    },
    start,
    async stop() {
      if (child) await terminate(child, 60_000);
    },
    async kill9() {
      if (child) await kill9(child);
    },
    async destroy() {
      if (child) await terminate(child, 20_000);
      dir.remove();
    },
    log: () => {
      const file = join(dir.path, 'mariadb.err');
      return `${existsSync(file) ? readFileSync(file, 'utf8').slice(-20_000) : ''}${output()}`;
    },
  };
  return instance;
}
