import { AdapterError, splitText } from '../core/index.js';
import type { ChatAdapter, Job, Logger, OutboundMessage } from '../core/index.js';
import type { ReplyClaims } from './reply-claims.js';
import { fitsInOneMessage, outputRoom, renderOutputPiece, withoutOutput } from './render-job.js';

export interface SendResultInput {
  adapter: ChatAdapter;
  job: Job & { thread: NonNullable<Job['thread']> };
  message: OutboundMessage;
  /** The status message to update in place, when the adapter can edit and the acknowledgement was sent. */
  statusMessageId: string | null;
  claims: ReplyClaims;
  logger: Logger;
}

/**
 * Sends a finished job's result, whatever its size: in place of the status message when it fits,
 * as an attached file when the platform takes files, otherwise split into numbered messages sent
 * in order. Each split message has its own claim (`result#0` for the summary, `result#1`, … for the pieces), so a retry after a
 * failure half-way resumes instead of repeating. Returns the id of the message that carries the result.
 */
export async function sendResult(input: SendResultInput): Promise<string | null> {
  const { adapter, job, message, statusMessageId, claims, logger } = input;
  const { thread } = job;
  const caps = adapter.capabilities;

  async function updateStatus(update: OutboundMessage): Promise<boolean> {
    if (statusMessageId === null || !adapter.edit) return false;
    try {
      await adapter.edit(thread, statusMessageId, update);
      return true;
    } catch (err) {
      // The platform is failing for now: the whole reply is retried later, edit included. Posting
      // a new message instead would leave two messages if the failed edit did land (a timeout
      // says nothing about that); an edit applied twice is harmless.
      if (err instanceof AdapterError && !err.permanent) throw err;
      // The status message is gone (deleted, too old to edit): the result goes as a new message.
      logger.warn({ err, jobId: job.id, agent: job.agent, messageId: statusMessageId }, 'could not edit the status message; sending the result as a new one');
      return false;
    }
  }

  if (fitsInOneMessage(message, caps) || (caps.files && statusMessageId === null)) {
    // Over the limit with files: the adapter attaches `code` as a file (ChatAdapter contract).
    if (await updateStatus(message)) return statusMessageId!;
    return (await adapter.send(thread, message)).messageId;
  }

  const code = message.code!;
  if (caps.files) {
    const edited = await updateStatus(withoutOutput(message, 'The output is attached below.'));
    const sent = await adapter.send(thread, { text: `Output of job ${job.id}`, status: message.status, jobId: job.id, code });
    return edited ? statusMessageId! : sent.messageId;
  }

  const pieces = splitText(code.content, outputRoom(caps), { numbered: false });
  const summary = withoutOutput(message, `The output follows in ${pieces.length} messages.`);
  const sendOnce = async (key: string, part: OutboundMessage): Promise<string | null> => {
    await claims.exclusively(job.id, key, job.agent, async () => (await adapter.send(thread, part)).messageId);
    return (await claims.get(job.id, key))?.messageId ?? null;
  };
  // The summary is `result#0` and piece i is `result#i`, whichever way the summary went out.
  const carrier = (await updateStatus(summary)) ? statusMessageId : await sendOnce('result#0', summary);
  for (const [i, piece] of pieces.entries()) await sendOnce(`result#${i + 1}`, renderOutputPiece(job, piece, i + 1, pieces.length));
  return carrier;
}
