import type { OutboundMessage } from '../../src/core/index.js';
import type { WebChatMessage, WebFile } from './wire-types.js';

/** The parts of a WebChatMessage that come from an OutboundMessage. */
export type RenderedWebMessage = Pick<WebChatMessage, 'text' | 'status' | 'title' | 'fields' | 'files' | 'jobId' | 'actions'>;

const TEXT_FILE_NOTE = '… (full text attached)';

/**
 * Renders an OutboundMessage for the page. Job output always travels as a file (the page shows
 * it in a collapsible monospace block with a download link); a text over `maxTextLength` is
 * shortened for display and attached whole, so nothing is ever silently cut.
 */
export function renderWebMessage(message: OutboundMessage, maxTextLength: number): RenderedWebMessage {
  const files: WebFile[] = [];
  if (message.code) {
    files.push({ name: safeFileName(message.code.filename ?? (message.jobId ? `${message.jobId}.txt` : 'output.txt')), content: message.code.content, kind: 'output' });
  }
  let text = message.text;
  if (text.length > maxTextLength) {
    files.push({ name: message.jobId ? `${message.jobId}-message.txt` : 'message.txt', content: text, kind: 'text' });
    text = cutAt(text, maxTextLength - TEXT_FILE_NOTE.length) + TEXT_FILE_NOTE;
  }
  const out: RenderedWebMessage = { text };
  if (message.status) out.status = message.status;
  if (message.title !== undefined) out.title = message.title;
  if (message.fields?.length) out.fields = message.fields.map((f) => ({ label: f.label, value: f.value }));
  if (files.length) out.files = files;
  if (message.jobId) out.jobId = message.jobId;
  if (message.actions?.length) out.actions = message.actions.map((a) => ({ id: a.id, label: a.label, jobId: a.jobId }));
  return out;
}

/**
 * The longest prefix of whole code points within `max` UTF-16 units (what `.length`
 * measures), so no emoji is split in half.
 */
function cutAt(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** A download name the browser will not misread: no path separators, control or bidi characters. */
export function safeFileName(name: string): string {
  const cleaned = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : 'output.txt';
}
