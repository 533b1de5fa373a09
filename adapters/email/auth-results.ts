import { domainOf, domainsAlign } from './addresses.js';

/** One `method=result` of an Authentication-Results header (RFC 8601), with its properties. */
export interface AuthMethodResult {
  method: string;
  result: string;
  /** `header.d`, `header.i`, `smtp.mailfrom`, `header.from`, … lower-cased keys. */
  props: Record<string, string>;
}

export interface AuthResultsHeader {
  /** The server that wrote the header, lower-cased. */
  authServId: string;
  results: AuthMethodResult[];
}

/** Removes RFC 5322 comments `( … )` (nested, with escapes) outside quoted strings. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted && c === '(') {
      depth++;
      continue;
    }
    if (!quoted && c === ')' && depth > 0) {
      depth--;
      out += ' ';
      continue;
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** Splits on `;` outside quoted strings (a DKIM `header.b="…"` may contain one). */
function splitStatements(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && quoted) {
      current += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/** Parses one Authentication-Results header value; null when it has no authserv-id. */
export function parseAuthResults(value: string): AuthResultsHeader | null {
  const [head, ...rest] = splitStatements(stripComments(value.replace(/\r?\n[ \t]+/g, ' ')));
  const authServId = head?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!authServId) return null;
  const results: AuthMethodResult[] = [];
  for (const part of rest) {
    const tokens = part.trim().match(/[^\s=]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s]+)|\S+/g) ?? [];
    const first = /^([a-z0-9_-]+)(?:\/\d+)?\s*=\s*([a-z]+)$/i.exec(tokens[0] ?? '');
    if (!first) continue;
    const props: Record<string, string> = {};
    for (const token of tokens.slice(1)) {
      const eq = token.indexOf('=');
      if (eq > 0) props[token.slice(0, eq).trim().toLowerCase()] = unquote(token.slice(eq + 1).trim());
    }
    results.push({ method: first[1]!.toLowerCase(), result: first[2]!.toLowerCase(), props });
  }
  return { authServId, results };
}

/** The domain a property names: `@example.com`, `user@example.com` or `example.com`. */
function propDomain(value: string | undefined): string {
  if (!value) return '';
  return value.includes('@') ? domainOf(value) : value.toLowerCase();
}

/**
 * Which passing result authenticates mail from `fromAddress`: a DKIM signature, an SPF check
 * or a DMARC verdict for a domain aligned with the From domain. A pass for some other domain
 * proves nothing about From, so it does not count. Null when none does.
 */
export function passingMethod(header: AuthResultsHeader, fromAddress: string): string | null {
  const fromDomain = domainOf(fromAddress);
  for (const { method, result, props } of header.results) {
    if (result !== 'pass') continue;
    const domain =
      method === 'dkim' ? propDomain(props['header.d'] ?? props['header.i'])
      : method === 'spf' ? propDomain(props['smtp.mailfrom'])
      : method === 'dmarc' ? propDomain(props['header.from'])
      : '';
    if (domain && domainsAlign(fromDomain, domain)) return method;
  }
  return null;
}
