import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded default's web login: user `admin` with a token generated once and kept in the
 * data directory (mode 0600), so it survives restarts and never appears in config or logs.
 */
export function ensureWebAdminToken(dataDir: string): string {
  const file = join(dataDir, 'web-admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 12) return token;
  }
  mkdirSync(dataDir, { recursive: true });
  // Prefixed like the API tokens, so secret scanners recognise it in a paste or a commit.
  const token = `skadi_web_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
