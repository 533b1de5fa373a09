import { splitText, type MessageStatus, type OutboundMessage } from '../../src/core/index.js';

/** WeChat shows plain text only: a marker in front of final states makes them easy to spot. */
const STATUS_MARK: Partial<Record<MessageStatus, string>> = {
  succeeded: '✅ ',
  failed: '❌ ',
  expired: '⌛ ',
  cancelled: '🚫 ',
  refused: '⛔ ',
  error: '⚠️ ',
};

export interface RenderOptions {
  /** Longest text of one message, mention included. */
  limit: number;
  /** Name to put after `@` on the first message (room replies mention the requester). */
  mentionName?: string;
  /** In a room, commands must mention the bot: the hints then read `@Skadi cancel <job>`. */
  botName?: string;
}

export interface RenderedPiece {
  text: string;
  /** True when the piece starts with the mention (the puppet must be told, to notify them). */
  mentions: boolean;
}

/**
 * Whether a message continues a job's output the reply router already split ("Output of job
 * abc (2/3)"): the requester was mentioned on the result, so the pieces do not ping them again.
 */
export function isOutputPiece(message: OutboundMessage): boolean {
  return message.status === 'info' && message.jobId !== undefined && message.code !== undefined;
}

/** Whether `value` appears in `text` as a whole word (not inside a longer one). */
function mentions(text: string, value: string): boolean {
  if (value.trim() === '') return true;
  return new RegExp(`(?<![\\p{L}\\p{N}])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u').test(text);
}

function hints(message: OutboundMessage, botName: string | undefined): string {
  const address = botName ? `@${botName} ` : '';
  const parts = (message.actions ?? []).map((action) => `${action.label}: "${address}${action.id} ${action.jobId}"`);
  return parts.join(' · ');
}

/** The message as one plain text: headline, fields, how to act on it, then the output. */
export function renderBody(message: OutboundMessage, botName?: string): string {
  const firstLine = message.text.split('\n', 1)[0]!;
  // Every reply names its job, so answers to different jobs in one chat can be told apart.
  const tag = message.jobId && !firstLine.includes(message.jobId) ? `[job ${message.jobId}] ` : '';
  const lines = [`${STATUS_MARK[message.status ?? 'info'] ?? ''}${tag}${message.text}`];
  if (message.title && !message.text.includes(message.title)) lines.unshift(message.title);
  // Fields the headline already states ("exit 0, 2 s") are left out: every line costs screen on a phone.
  const fields = (message.fields ?? []).filter((f) => !mentions(message.text, f.value));
  if (fields.length) lines.push(fields.map((f) => `${f.label}: ${f.value}`).join(' · '));
  const actions = hints(message, botName);
  if (actions) lines.push(actions);
  let body = lines.join('\n');
  if (message.code) body += `\n\n${message.code.content}`;
  return body;
}

/**
 * Renders an OutboundMessage as WeChat text messages of at most `limit` characters each. Text
 * that does not fit is split on line boundaries into numbered pieces `(i/n)`, sent in order by
 * the adapter; only the first carries the mention and the job tag (the pieces follow it
 * directly: one conversation's messages go out one after another), so the pieces put together
 * give the whole text back.
 */
export function renderWechatText(message: OutboundMessage, options: RenderOptions): RenderedPiece[] {
  const mention = options.mentionName ? `@${options.mentionName}\u2005` : '';
  const body = renderBody(message, options.botName);
  if (mention.length + body.length <= options.limit) return [{ text: mention + body, mentions: mention !== '' }];
  // A name so long it leaves no room is left out rather than breaking the limit.
  const head = mention.length * 4 < options.limit ? mention : '';
  const pieces = splitText(body, options.limit - head.length);
  return pieces.map((piece, i) => (i === 0 && head ? { text: head + piece, mentions: true } : { text: piece, mentions: false }));
}
