import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/core/index.js';

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where the page's files are. tsc does not copy them, so from `dist/adapters/web/` the source
 * folder is three levels up; under vitest (running the .ts sources) they sit beside this file.
 */
export function findStaticDir(override?: string): string {
  const candidates = override
    ? [override]
    : [fileURLToPath(new URL('./static/', import.meta.url)), fileURLToPath(new URL('../../../adapters/web/static/', import.meta.url))];
  const found = candidates.find((dir) => existsSync(`${dir}/index.html`));
  if (!found) throw new ConfigError('web.staticDir', `the web chat page (index.html) is in none of: ${candidates.join(', ')}`);
  return found;
}

/** Reads the page's files once; they are small and served from memory with an ETag. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(`${dir}/${name}`);
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return files;
}

/**
 * Headers of the page: scripts and styles only from this origin, so even if a string slipped
 * into the DOM as HTML it could not run (the page itself only ever uses textContent).
 */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
