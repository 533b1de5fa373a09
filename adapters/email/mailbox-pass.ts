import type { ImapFlow, MailboxObject } from 'imapflow';
import type { Logger } from '../../src/core/index.js';
import type { CursorState } from './mail-cursor.js';

/** What a check knows of a mail before reading it. */
export interface MailMeta {
  uid: number;
  /** RFC822.SIZE in bytes. */
  size: number;
  /** When the server received it (INTERNALDATE). */
  internalDate: Date | null;
  /** Already marked processed (by this or another process). */
  processed: boolean;
}

/** A mail handed to the handler; `load` fetches its full source or only its header block. */
export interface FetchedMail extends MailMeta {
  uidValidity: string;
  mailbox: string;
  load(what: 'source' | 'headers'): Promise<Buffer>;
}

export interface PassPlan {
  /** The cursor as stored, or null on a first start. */
  stored: CursorState | null;
  /** Where this pass starts: mail up to `lastUid` is done. */
  cursor: CursorState;
  /** Mail to look at, in UID order. */
  mails: MailMeta[];
  /** The cursor's value if every mail of the pass gets done. */
  highWater: number;
}

/** A compact IMAP sequence set for sorted UIDs: `1:5,7,9:12`. */
export function uidSet(uids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length; i++) {
    const start = uids[i]!;
    while (i + 1 < uids.length && uids[i + 1] === uids[i]! + 1) i++;
    parts.push(start === uids[i] ? String(start) : `${start}:${uids[i]}`);
  }
  return parts.join(',');
}

async function metas(client: ImapFlow, range: string, keyword: string | null): Promise<MailMeta[]> {
  const out: MailMeta[] = [];
  // No other command may run inside the fetch loop (imapflow): collect first, handle after.
  for await (const m of client.fetch(range, { uid: true, flags: true, size: true, internalDate: true }, { uid: true })) {
    const flags = m.flags ?? new Set<string>();
    out.push({
      uid: m.uid,
      size: m.size ?? 0,
      internalDate: m.internalDate ? new Date(m.internalDate) : null,
      processed: keyword ? flags.has(keyword) : flags.has('\\Seen'),
    });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/**
 * Which mail a pass must look at. With a cursor of the same UIDVALIDITY: everything above it.
 * On a first start, or when the server renumbered the folder (UIDVALIDITY changed, so stored
 * UIDs mean nothing): the unread mail not yet marked processed; the dispatcher's Message-ID
 * de-duplication catches any of it that was handled before the renumbering.
 */
export async function nextUids(client: ImapFlow, box: MailboxObject, stored: CursorState | null, options: { keyword: string | null; log: Logger }): Promise<PassPlan> {
  const uidValidity = String(box.uidValidity);
  if (stored && stored.uidValidity === uidValidity) {
    const mails = box.exists === 0 ? [] : (await metas(client, `${stored.lastUid + 1}:*`, options.keyword)).filter((m) => m.uid > stored.lastUid);
    return { stored, cursor: stored, mails, highWater: Math.max(stored.lastUid, ...mails.map((m) => m.uid)) };
  }
  if (stored) options.log.warn({ was: stored.uidValidity, now: uidValidity }, 'the mailbox UIDVALIDITY changed; re-reading unprocessed mail (duplicates are dropped by Message-ID)');
  const criteria = options.keyword ? { seen: false, unKeyword: options.keyword } : { seen: false };
  const found = box.exists === 0 ? [] : ((await client.search(criteria, { uid: true })) || []);
  const mails = found.length ? await metas(client, uidSet([...found].sort((a, b) => a - b)), options.keyword) : [];
  const highWater = Math.max(box.uidNext - 1, ...mails.map((m) => m.uid), 0);
  const lastUid = mails.length ? mails[0]!.uid - 1 : highWater;
  return { stored, cursor: { uidValidity, lastUid }, mails, highWater };
}
