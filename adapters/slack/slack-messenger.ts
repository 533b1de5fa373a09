import { AdapterError, KeyedSerialQueue, type Logger, type OutboundMessage, type ThreadRef } from '../../src/core/index.js';
import { callSlack, DEFAULT_CALL_POLICY, type CallPolicy } from './slack-api-call.js';
import { uploadFile, type ApiCaller } from './file-upload.js';
import { SLACK_PLATFORM } from './normalize.js';
import { renderSlackMessage, SLACK_MAX_TEXT_LENGTH, type SlackPost } from './render.js';

export interface SlackMessengerOptions {
  maxTextLength?: number;
  policy?: CallPolicy;
}

export interface SlackMessengerDeps {
  /** The WebClient (no retries of its own, rate-limited calls rejected: this class waits them out). */
  client: ApiCaller;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Everything Skadi posts to Slack. Calls for one channel run one at a time in order (KeyedSerialQueue),
 * each under the call policy: a 429 holds that channel's later replies until Retry-After has
 * passed instead of letting them overtake, other channels carry on.
 */
export class SlackMessenger {
  private readonly queue = new KeyedSerialQueue();
  private readonly maxTextLength: number;
  private readonly policy: CallPolicy;

  constructor(options: SlackMessengerOptions, private readonly deps: SlackMessengerDeps) {
    this.maxTextLength = options.maxTextLength ?? SLACK_MAX_TEXT_LENGTH;
    this.policy = options.policy ?? DEFAULT_CALL_POLICY;
  }

  /** Posts `message` in the thread; returns the ts of its first message (the one edit() updates). */
  send(thread: ThreadRef, message: OutboundMessage): Promise<string> {
    const channel = channelOf(thread);
    const rendered = renderSlackMessage(message, this.maxTextLength);
    return this.queue.run(channel, async () => {
      let first: string | null = null;
      for (const post of rendered.posts) {
        // Without a thread yet, the first message becomes the thread's root.
        const ts = await this.post(channel, thread.threadId ?? first ?? undefined, post);
        first ??= ts;
      }
      if (rendered.file) await this.upload(channel, thread.threadId ?? first!, rendered.file);
      return first!;
    });
  }

  /** Replaces message `ts` with `message`; what does not fit in one message follows in the thread. */
  edit(thread: ThreadRef, ts: string, message: OutboundMessage): Promise<void> {
    const channel = channelOf(thread);
    const rendered = renderSlackMessage(message, this.maxTextLength);
    return this.queue.run(channel, async () => {
      const [first, ...rest] = rendered.posts;
      await this.call('chat.update', { channel, ts, text: first!.text, blocks: first!.blocks });
      for (const post of rest) await this.post(channel, thread.threadId ?? ts, post);
      if (rendered.file) await this.upload(channel, thread.threadId ?? ts, rendered.file);
    });
  }

  /** Posts a line of Slack mrkdwn (already escaped) as a new message; returns its ts. */
  postMrkdwn(channel: string, mrkdwn: string, threadTs?: string): Promise<string> {
    return this.queue.run(channel, () => this.post(channel, threadTs, { text: mrkdwn, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }] }));
  }

  /** Resolves once everything queued so far was sent or failed. */
  drain(): Promise<void> {
    return this.queue.idle();
  }

  private async post(channel: string, threadTs: string | undefined, post: SlackPost): Promise<string> {
    const args: Record<string, unknown> = { channel, text: post.text, blocks: post.blocks, unfurl_links: false, unfurl_media: false };
    if (threadTs) args.thread_ts = threadTs;
    const result = await this.call('chat.postMessage', args);
    if (typeof result.ts !== 'string') throw new AdapterError(SLACK_PLATFORM, 'chat.postMessage returned no ts');
    return result.ts;
  }

  private async upload(channel: string, threadTs: string, file: { filename: string; title: string; content: string }): Promise<void> {
    await uploadFile(this.deps.client, { channel, threadTs }, file, (what, call) => callSlack(what, call, this.policy, this.deps), this.deps.fetch);
  }

  private call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    return callSlack(method, () => this.deps.client.apiCall(method, args), this.policy, this.deps);
  }
}

function channelOf(thread: ThreadRef): string {
  if (thread.platform !== SLACK_PLATFORM) throw new AdapterError(SLACK_PLATFORM, `cannot send to a ${thread.platform} thread`);
  if (!thread.conversationId) throw new AdapterError(SLACK_PLATFORM, 'thread has no channel');
  return thread.conversationId;
}
