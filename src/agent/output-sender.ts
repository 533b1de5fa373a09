import type { AgentClient } from './agent-client.js';
import { withRetry, type RetryContext } from './with-retry.js';

export interface OutputSenderOptions {
  client: AgentClient;
  jobId: string;
  lease: string;
  retry: RetryContext;
  /** The server answered that the job was cancelled. */
  onCancelled(): void;
  /** The server refused a chunk for good (job gone, lease lost) or retries were aborted. */
  onGone(error: unknown): void;
}

export interface OutputSender {
  push(data: string): void;
  /** Resolves when every pushed chunk was accepted, or the sender gave up. */
  drain(): Promise<void>;
  /** Sends every chunk again from seq 0 (the server said it is missing some). */
  resendAll(): Promise<void>;
  /** Chunks handed out so far: the `chunks` of the result. */
  readonly count: number;
  readonly gone: boolean;
}

/**
 * Sends output chunks one at a time, in seq order, each retried until accepted. Sending in
 * order keeps "chunks = n" meaning "seq 0 … n-1 are stored" without gaps. Chunks are kept
 * (bounded by the output cap) so they can be sent again.
 */
export function createOutputSender(options: OutputSenderOptions): OutputSender {
  const chunks: string[] = [];
  let next = 0;
  let gone = false;
  let pumping: Promise<void> | undefined;

  const pump = async (): Promise<void> => {
    while (next < chunks.length && !gone) {
      const seq = next;
      const sent = await withRetry(
        `output chunk ${seq}`,
        (signal) => options.client.output(options.jobId, { lease: options.lease, seq, data: chunks[seq]! }, signal),
        options.retry,
      );
      if (!sent.ok) {
        gone = true;
        options.onGone(sent.error);
        break;
      }
      if (sent.value.cancelled) options.onCancelled();
      next = seq + 1;
    }
  };

  const kick = (): void => {
    if (pumping || gone || next >= chunks.length) return;
    // Cleared in `finally` (never inside pump) so a chunk pushed while the loop was
    // finishing still gets its own pass.
    pumping = pump().finally(() => {
      pumping = undefined;
      kick();
    });
  };

  const drain = async (): Promise<void> => {
    while (pumping) await pumping;
  };

  return {
    push(data) {
      if (gone) return;
      chunks.push(data);
      kick();
    },
    drain,
    async resendAll() {
      await drain();
      if (gone) return;
      next = 0;
      kick();
      await drain();
    },
    get count() {
      return chunks.length;
    },
    get gone() {
      return gone;
    },
  };
}
