import type { ImapFlow } from 'imapflow';
import { vi } from 'vitest';
import { createEmailPlatform, type EmailPlatformTuning } from '../../adapters/email/email-platform.js';
import type { ChatAdapter, InboundMessage, Logger, MessageSink } from '../../src/core/index.js';
import { composeMail, newMessageId, type ComposeInput } from './email-compose.js';
import type { PrivateDovecot } from './email-dovecot.js';
import { BOT_ACCOUNT, FAST_TUNING, emailConfigFor, memoryPlatformDeps } from './email-fixture.js';
import type { SmtpPeer } from './email-smtp-peer.js';
import type { MemoryAuditStore } from './memory-audit.js';
import { MemoryKeyValueStore } from './memory-kv.js';

let folders = 0;

/** One email adapter on a folder of its own, with what its sink received. */
export interface EmailRig {
  mailbox: string;
  adapter: ChatAdapter;
  inbox: InboundMessage[];
  kv: MemoryKeyValueStore;
  audit: MemoryAuditStore;
  /** Replaces what the sink does (default: push to `inbox`). */
  sink: MessageSink;
  /** APPENDs a composed mail (From defaults to alice@example.test); resolves with its Message-ID. */
  deliver(input: Partial<ComposeInput> & { subject?: string }, options?: { flags?: string[]; prefix?: string }): Promise<string>;
  /** UID → flags of the mail in `mailbox` (default: this rig's folder). */
  flags(mailbox?: string): Promise<Map<number, Set<string>>>;
  waitForInbox(count: number, timeoutMs?: number): Promise<InboundMessage[]>;
}

export interface RigOptions {
  kv?: MemoryKeyValueStore;
  mailbox?: string;
  extra?: Record<string, unknown>;
  imapExtra?: Record<string, unknown>;
  tuning?: EmailPlatformTuning;
  logger?: Logger;
  /** Do not start the adapter (the test starts it). */
  noStart?: boolean;
}

/** A fresh folder (unless `options.mailbox`) and an email adapter watching it, started. */
export async function emailRig(dovecot: PrivateDovecot, smtp: SmtpPeer, options: RigOptions = {}): Promise<EmailRig> {
  const admin = (): Promise<ImapFlow> => dovecot.client(BOT_ACCOUNT.user, BOT_ACCOUNT.password);
  const mailbox = options.mailbox ?? `rig-${process.pid}-${++folders}`;
  if (!options.mailbox) await (await admin()).mailboxCreate(mailbox);
  const kv = options.kv ?? new MemoryKeyValueStore();
  const deps = memoryPlatformDeps({ kv, logger: options.logger });
  const config = emailConfigFor(dovecot, smtp, options.extra ?? {}, { mailbox, ...options.imapExtra });
  const { adapter } = await createEmailPlatform(config, deps, options.tuning ?? FAST_TUNING);
  const inbox: InboundMessage[] = [];
  const rig: EmailRig = {
    mailbox,
    adapter,
    inbox,
    kv,
    audit: deps.audit,
    sink: async (message) => {
      inbox.push(message);
    },
    async deliver(input, deliverOptions = {}) {
      const messageId = input.messageId ?? newMessageId();
      let raw = await composeMail({ from: 'Alice <alice@example.test>', ...input, messageId });
      // Headers a receiving server puts on top (Authentication-Results, Return-Path).
      if (deliverOptions.prefix) raw = Buffer.concat([Buffer.from(deliverOptions.prefix), raw]);
      await dovecot.append(BOT_ACCOUNT, raw, { mailbox, flags: deliverOptions.flags });
      return messageId;
    },
    async flags(box = mailbox) {
      const client = await admin();
      const lock = await client.getMailboxLock(box);
      try {
        const out = new Map<number, Set<string>>();
        if ((client.mailbox && client.mailbox.exists) === 0) return out;
        for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) out.set(m.uid, m.flags ?? new Set());
        return out;
      } finally {
        lock.release();
      }
    },
    async waitForInbox(count, timeoutMs = 8000) {
      await vi.waitFor(() => {
        if (inbox.length < count) throw new Error(`inbox has ${inbox.length} of ${count}`);
      }, { timeout: timeoutMs, interval: 25 });
      return inbox;
    },
  };
  if (!options.noStart) await adapter.start((message) => rig.sink(message));
  return rig;
}
