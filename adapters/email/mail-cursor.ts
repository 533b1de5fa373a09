import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../../src/core/index.js';

/** How far the mailbox has been read: every UID up to `lastUid` is handled (under this UIDVALIDITY). */
export interface CursorState {
  /** The mailbox's UIDVALIDITY, as a decimal string (it is a 32-bit unsigned number). */
  uidValidity: string;
  lastUid: number;
}

/** Keeps the cursor short enough for the key-value store's key column. */
function keyFor(prefix: string, account: string): string {
  const key = `${prefix}:${account}`;
  return key.length <= 200 ? key : `${prefix}:sha256:${createHash('sha256').update(account).digest('hex')}`;
}

/**
 * The mailbox cursor in the shared KeyValueStore, so a restarted process (or another one) picks
 * up where the last one stopped: nothing processed twice, nothing that arrived meanwhile missed.
 * Also holds per-mail claims, so two processes watching one mailbox do not both handle a mail.
 */
export class MailCursor {
  private readonly cursorKey: string;
  private readonly claimPrefix: string;

  /** `account` names the mailbox: `user@host:port/folder`. */
  constructor(account: string, private readonly kv: KeyValueStore) {
    this.cursorKey = keyFor('email:cursor', account.toLowerCase());
    this.claimPrefix = keyFor('email:claim', account.toLowerCase());
  }

  async load(): Promise<CursorState | null> {
    const value = await this.kv.get<CursorState>(this.cursorKey);
    return value && typeof value.uidValidity === 'string' && Number.isInteger(value.lastUid) ? value : null;
  }

  async save(state: CursorState): Promise<void> {
    await this.kv.set(this.cursorKey, state);
  }

  /**
   * Claims one mail for `owner` until `until`; true if it is ours (new claim, or a claim we
   * already hold). A claim left by a crashed process expires and the mail is taken over.
   */
  async claim(uidValidity: string, uid: number, owner: string, until: Date): Promise<boolean> {
    const key = `${this.claimPrefix}:${uidValidity}:${uid}`;
    if (await this.kv.setIfAbsent(key, { owner }, until)) return true;
    const held = await this.kv.get<{ owner?: string }>(key);
    // Gone between the two calls (expired and pruned): try once more.
    if (held === null) return this.kv.setIfAbsent(key, { owner }, until);
    return held.owner === owner;
  }
}
