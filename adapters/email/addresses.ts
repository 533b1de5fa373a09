/** Address helpers shared by the config, the screening and the sender. Pure. */

export interface MailAddress {
  name: string;
  /** Lower-cased. */
  address: string;
}

const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.?[^\s@<>()[\],;:"]*$/;

/** `bot@example.com` or `Skadi Bot <bot@example.com>` (display name optionally quoted); null if neither. */
export function parseAddress(value: string): MailAddress | null {
  const trimmed = value.trim();
  const angle = /^(?:"?([^"<]*?)"?\s*)?<([^<>\s]+)>$/.exec(trimmed);
  const address = (angle ? angle[2]! : trimmed).toLowerCase();
  if (!ADDRESS.test(address)) return null;
  return { name: angle?.[1]?.trim() ?? '', address };
}

/** The domain of an address, lower-cased ('' if none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase().replace(/\.$/, '');
}

/** The local part of an address, lower-cased. */
export function localPartOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).toLowerCase();
}

/**
 * Whether `address` matches an allow-list entry: an exact address, or a glob where `*` stands
 * for any run of characters except `@` (so `*@example.com` does not match `x@evil.example.com@…`)
 * and `?` for one. Case-insensitive.
 */
export function matchesSender(address: string, pattern: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^@]*')
    .replace(/\?/g, '[^@]');
  return new RegExp(`^${escaped}$`).test(address.toLowerCase());
}

/**
 * Relaxed DMARC-style alignment: the authenticated domain is the From domain or a parent of
 * it (`mail.example.com` signed by `example.com`), or a subdomain of it.
 */
export function domainsAlign(fromDomain: string, authenticated: string): boolean {
  const a = fromDomain.toLowerCase().replace(/\.$/, '');
  const b = authenticated.toLowerCase().replace(/\.$/, '');
  // A bare top-level domain never authenticates anything.
  if (!a || !b.includes('.')) return false;
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}
