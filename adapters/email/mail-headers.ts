import type { ParsedMail } from 'mailparser';
import type { MailAddress } from './addresses.js';

/** Raw header access on mailparser's output. Pure. */

/** Every value of header `name` (case-insensitive), unfolded and trimmed, in message order (topmost first). */
export function headerValues(mail: Pick<ParsedMail, 'headerLines'>, name: string): string[] {
  const key = name.toLowerCase();
  return mail.headerLines
    .filter((h) => h.key.toLowerCase() === key)
    .map((h) => {
      const colon = h.line.indexOf(':');
      return h.line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    });
}

/** The first value of header `name`, or null. */
export function headerValue(mail: Pick<ParsedMail, 'headerLines'>, name: string): string | null {
  return headerValues(mail, name)[0] ?? null;
}

/** The (first) From address, lower-cased, with its display name; null when there is none. */
export function senderOf(mail: Pick<ParsedMail, 'from'>): MailAddress | null {
  const first = mail.from?.value.find((entry) => typeof entry.address === 'string' && entry.address.includes('@'));
  if (!first?.address) return null;
  return { address: first.address.toLowerCase(), name: first.name?.trim() ?? '' };
}

/** Message-ID values `<…>` of a header such as References (any separators). */
export function messageIds(value: string | string[] | undefined | null): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  return text.match(/<[^<>\s]+>/g) ?? [];
}
