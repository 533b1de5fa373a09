import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

/**
 * Runs a Dovecot command to its exit. Not execFile: the daemon forks and keeps the inherited
 * pipes open, so waiting for them to close would wait for the server to stop.
 */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** A mail account on the private Dovecot. */
export interface DovecotUser {
  user: string;
  password: string;
}

export interface PrivateDovecot {
  host: string;
  port: number;
  dir: string;
  /** Adds an account (Dovecot re-reads its passwd file on change). */
  addUser(user: string, password: string): void;
  /** An IMAP client logged in as `user`, for the test's own APPENDs and checks (closed by stop()). */
  client(user: string, password: string): Promise<ImapFlow>;
  /** Appends a raw RFC 5322 message to `mailbox` of `user`, as a mail server delivering it would. */
  append(account: DovecotUser, raw: string | Buffer, options?: { mailbox?: string; flags?: string[] }): Promise<number>;
  /** Stops the server (every connection drops); `up()` starts it again on the same port and mail. */
  down(): Promise<void>;
  up(): Promise<void>;
  restart(): Promise<void>;
  /** Stops this Dovecot and removes its directory. */
  stop(): Promise<void>;
}

export interface DovecotOptions {
  users?: DovecotUser[];
  /** Advertise no IDLE, so clients must poll. */
  withoutIdle?: boolean;
}

/** Whether the machine has Dovecot (Debian's dovecot-imapd; .ci/run installs it). */
export function hasDovecot(): boolean {
  return spawnSync('dovecot', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function config(dir: string, port: number, options: DovecotOptions): string {
  // Standalone: no /etc/dovecot includes, its own base_dir and state_dir, so the machine's own Dovecot (if any) is never touched.
  return `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = skadi-test-${port}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
${options.withoutIdle ? 'imap_capability = IMAP4rev1 SASL-IR LITERAL+ ID ENABLE UIDPLUS MOVE NAMESPACE CHILDREN' : ''}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
`;
}

async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Starts a private Dovecot IMAP server on a free loopback port with its own temp directory.
 * Needs root (it serves the mail as `nobody`), like the machine's CI.
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<PrivateDovecot> {
  if (!hasDovecot()) throw new Error('dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run does it)');
  const dir = mkdtempSync(join(tmpdir(), 'skadi-dovecot-'));
  // Dovecot's processes run as nobody/dovenull and must reach the mail under this directory.
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub), { mode: 0o755 });
  chownSync(join(dir, 'mail'), 65534, 65534);
  const passwd = join(dir, 'passwd');
  const lines = (options.users ?? []).map((u) => `${u.user}:{PLAIN}${u.password}`);
  writeFileSync(passwd, lines.length ? `${lines.join('\n')}\n` : '');
  const conf = join(dir, 'dovecot.conf');

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    writeFileSync(conf, config(dir, port, options));
    await run('dovecot', ['-c', conf]);
    if (await waitForPort(port, 5000)) break;
    await run('doveadm', ['-c', conf, 'stop']).catch(() => undefined);
    if (attempt >= 2) throw new Error(`dovecot did not listen on ${port}:\n${existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''}`);
  }

  const clients = new Map<string, ImapFlow>();
  /** Stops the master and waits for it to exit, so the port and files are free again. */
  const halt = async (): Promise<void> => {
    const pidFile = join(dir, 'run', 'master.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null;
    await run('doveadm', ['-c', conf, 'stop']).catch(() => undefined);
    // doveadm returns before the master has exited.
    for (let i = 0; pid && i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const dovecot: PrivateDovecot = {
    host: '127.0.0.1',
    port,
    dir,
    addUser(user, password) {
      writeFileSync(passwd, `${readFileSync(passwd, 'utf8')}${user}:{PLAIN}${password}\n`);
    },
    async client(user, password) {
      const existing = clients.get(user);
      if (existing?.usable) return existing;
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: password }, logger: false, disableAutoIdle: true });
      client.on('error', () => undefined);
      await client.connect();
      clients.set(user, client);
      return client;
    },
    async append(account, raw, appendOptions = {}) {
      const client = await dovecot.client(account.user, account.password);
      const mailbox = appendOptions.mailbox ?? 'INBOX';
      const result = await client.append(mailbox, raw, appendOptions.flags ?? []);
      if (!result || result.uid === undefined) throw new Error(`APPEND to ${mailbox} failed`);
      return result.uid;
    },
    down: () => halt(),
    async up() {
      await run('dovecot', ['-c', conf]);
      if (!(await waitForPort(port, 5000))) throw new Error(`dovecot did not come back on ${port}`);
    },
    async restart() {
      await dovecot.down();
      await dovecot.up();
    },
    async stop() {
      for (const client of clients.values()) await client.logout().catch(() => client.close());
      clients.clear();
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return dovecot;
}
