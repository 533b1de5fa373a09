import { splitText, type MessageStatus, type OutboundMessage } from '../../src/core/index.js';
import { escapeSlack } from './slack-text.js';

/**
 * Longest text one Slack message carries, in characters (capabilities.maxTextLength). A `section`
 * block's text holds 3000 characters and Slack advises keeping `text` under 4000, so 3000 lets the
 * text, or text and job output together, sit in one message as Slack shows it. Longer output
 * goes as a file in the thread; longer text is split into numbered messages.
 */
export const SLACK_MAX_TEXT_LENGTH = 3000;

/** Block Kit limits the renderer stays within. */
const SECTION_LIMIT = 3000;
const FIELD_LIMIT = 2000;
const MAX_FIELDS = 10;
/** What the reply router reserves around `code` (render-job's ROOM_FOR_MARKUP): same rule, same verdict. */
const ROOM_FOR_MARKUP = 32;

export type SlackBlock = Record<string, unknown>;

/** One chat.postMessage / chat.update: `text` is the notification and accessibility fallback. */
export interface SlackPost {
  text: string;
  blocks: SlackBlock[];
}

/** Output too long for a message, uploaded into the thread. */
export interface SlackFile {
  filename: string;
  title: string;
  content: string;
}

export interface RenderedSlackMessage {
  /** At least one; the first is the message send() returns and edit() updates. */
  posts: SlackPost[];
  file?: SlackFile;
}

const STATUS_EMOJI: Record<MessageStatus, string> = {
  info: '',
  queued: ':hourglass_flowing_sand:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  expired: ':hourglass:',
  cancelled: ':no_entry_sign:',
  refused: ':no_entry:',
  error: ':warning:',
};

/**
 * Renders an OutboundMessage as Slack messages: the text (escaped, so `<!channel>` in a job's
 * output pings nobody) in section blocks, the fields, the output in a preformatted block when it
 * fits, else as a file, and the buttons. Pure.
 */
export function renderSlackMessage(message: OutboundMessage, maxTextLength = SLACK_MAX_TEXT_LENGTH): RenderedSlackMessage {
  const code = message.code && message.code.content.length > 0 ? message.code : undefined;
  const inline = code !== undefined && message.text.length + code.content.length + ROOM_FOR_MARKUP <= maxTextLength;
  const name = fileName(code?.filename, message.jobId);
  const file = code && !inline ? { filename: name, title: name, content: code.content } : undefined;
  const text = file ? `${message.text}\n(The output is attached below as ${file.filename}.)` : message.text;
  const emoji = message.status ? STATUS_EMOJI[message.status] : '';
  const lead = `${emoji ? `${emoji} ` : ''}${message.title ? `*${escapeSlack(message.title)}*\n` : ''}`;
  // The status emoji and title count towards the first message's length.
  const pieces = fitPieces(text, Math.min(maxTextLength, SECTION_LIMIT) - lead.length);

  const posts = pieces.map((piece, i): SlackPost => {
    const blocks: SlackBlock[] = [];
    blocks.push(section(`${i === 0 ? lead : ''}${escapeSlack(piece)}`));
    if (i === 0) {
      if (message.fields?.length) blocks.push(fieldsBlock(message.fields));
      if (inline && code) blocks.push(preformatted(code.content));
      if (message.actions?.length) blocks.push(actionsBlock(message.actions));
    }
    return { text: escapeSlack(piece), blocks };
  });
  return file ? { posts, file } : { posts };
}

/**
 * Splits text into messages whose escaped form fits one section block: escaping (`&` → `&amp;`)
 * can lengthen a piece up to five times, so a text dense in `&<>` is split into more, shorter
 * messages rather than into several sections (which Slack shows as separate paragraphs).
 */
function fitPieces(text: string, room: number): string[] {
  let limit = Math.max(100, room);
  for (;;) {
    const pieces = splitText(text, limit);
    const longest = pieces.reduce((max, piece) => Math.max(max, escapeSlack(piece).length), 0);
    if (longest <= room || limit <= 100) return pieces;
    limit = Math.max(100, Math.floor((limit * room) / longest) - 1);
  }
}

function section(mrkdwn: string): SlackBlock {
  // Slack refuses an empty text object; a zero-width space keeps a status-only line valid.
  return { type: 'section', text: { type: 'mrkdwn', text: mrkdwn.trim() === '' ? '\u200b' : mrkdwn, verbatim: true } };
}

function fieldsBlock(fields: NonNullable<OutboundMessage['fields']>): SlackBlock {
  const shown = fields.slice(0, MAX_FIELDS).map((f) => {
    const text = `*${escapeSlack(f.label)}*\n${escapeSlack(f.value)}`;
    return { type: 'mrkdwn', text: text.length > FIELD_LIMIT ? `${text.slice(0, FIELD_LIMIT - 1)}…` : text, verbatim: true };
  });
  return { type: 'section', fields: shown };
}

/** Output in a rich-text preformatted block: its text is literal, so nothing in it needs escaping. */
function preformatted(content: string): SlackBlock {
  return { type: 'rich_text', elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: content }] }] };
}

function actionsBlock(actions: NonNullable<OutboundMessage['actions']>): SlackBlock {
  return {
    type: 'actions',
    block_id: 'skadi_actions',
    elements: actions.map((action) => {
      const button: SlackBlock = { type: 'button', action_id: `skadi_${action.id}`, text: { type: 'plain_text', text: action.label }, value: action.jobId };
      if (action.id === 'cancel') {
        button.style = 'danger';
        button.confirm = {
          title: { type: 'plain_text', text: 'Cancel this job?' },
          text: { type: 'plain_text', text: `Job ${action.jobId} will be stopped.` },
          confirm: { type: 'plain_text', text: 'Cancel job' },
          deny: { type: 'plain_text', text: 'Keep it running' },
        };
      }
      return button;
    }),
  };
}

/** A download name without path separators, control or bidi characters. */
function fileName(name: string | undefined, jobId: string | undefined): string {
  const cleaned = (name ?? (jobId ? `${jobId}.txt` : 'output.txt'))
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : 'output.txt';
}
