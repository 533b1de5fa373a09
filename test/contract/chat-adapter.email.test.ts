import { afterAll, beforeAll } from 'vitest';
import { createEmailPlatform } from '../../adapters/email/email-platform.js';
import { composeMail, newMessageId } from '../helpers/email-compose.js';
import { startDovecot, type PrivateDovecot } from '../helpers/email-dovecot.js';
import { BOT_ACCOUNT, FAST_TUNING, emailConfigFor, memoryPlatformDeps } from '../helpers/email-fixture.js';
import { startSmtpPeer } from '../helpers/email-smtp-peer.js';
import { chatAdapterContract, type ChatAdapterHarness, type ReceivedMessage } from './chat-adapter.contract.js';

let dovecot: PrivateDovecot;
let folders = 0;

beforeAll(async () => {
  dovecot = await startDovecot({ users: [BOT_ACCOUNT] });
});

afterAll(async () => {
  await dovecot?.stop();
});

/**
 * The peer is a real mail system: deliver = a mail client's message APPENDed into the bot's
 * folder on a private Dovecot (as the receiving server would file it); received = what a
 * local SMTP server got from the adapter. Each harness watches a folder of its own.
 */
async function emailHarness(): Promise<ChatAdapterHarness> {
  const mailbox = `contract-${process.pid}-${++folders}`;
  const admin = await dovecot.client(BOT_ACCOUNT.user, BOT_ACCOUNT.password);
  await admin.mailboxCreate(mailbox);
  const smtp = await startSmtpPeer();
  const config = emailConfigFor(dovecot, smtp, {}, { mailbox });
  const { adapter } = await createEmailPlatform(config, memoryPlatformDeps(), FAST_TUNING);

  return {
    adapter,
    async deliver(input) {
      const raw = await composeMail({
        from: `${input.user} <${input.user}@example.test>`,
        subject: input.text,
        messageId: input.id ? `<${input.id}@example.test>` : newMessageId(),
        // A person answering in a thread: their client names the thread's mails.
        ...(input.thread ? { inReplyTo: input.thread, references: [input.thread] } : {}),
        // How mail marks a robot's message (RFC 3834).
        ...(input.isBot ? { headers: { 'Auto-Submitted': 'auto-generated' } } : {}),
      });
      await dovecot.append(BOT_ACCOUNT, raw, { mailbox });
    },
    async received() {
      return smtp.mails.map((mail): ReceivedMessage => {
        const attachment = mail.parsed.attachments[0];
        return {
          conversationId: mail.envelope.to[0]!.toLowerCase(),
          threadId: (mail.header('references') ?? '').match(/<[^>]+>/)?.[0],
          messageId: mail.parsed.messageId ?? '',
          text: mail.parsed.text ?? '',
          edited: false,
          ...(attachment ? { file: { name: attachment.filename ?? '', content: attachment.content.toString('utf8') } } : {}),
        };
      });
    },
    async close() {
      await smtp.close();
      await admin.mailboxDelete(mailbox).catch(() => undefined);
    },
  };
}

chatAdapterContract('email', emailHarness);
