import type { OutboundMessage } from '../../src/core/index.js';

/** The content of one outgoing mail; the sender adds addresses and threading headers. */
export interface RenderedMail {
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: string; contentType: string }>;
}

/** What separates the body's parts; counted when deciding whether the output fits. */
const GAP = '\n\n';
/** Room kept for the fields and hints next to the text (they are a few short lines). */
const FRAME_ROOM = 2000;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Hints that replace the buttons other platforms show: on mail, the user answers with the command. */
function actionHints(message: OutboundMessage): string[] {
  return (message.actions ?? []).map((action) => (action.id === 'cancel' ? `To cancel this job, reply with: cancel ${action.jobId}` : `To run it again, reply with: rerun ${action.jobId}`));
}

function fieldLines(message: OutboundMessage): string[] {
  return (message.fields ?? []).map((field) => `${field.label}: ${field.value}`);
}

/** A file name safe in a MIME header and on every OS. */
function safeFilename(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? '').replace(/[\\/:*?"<>|\r\n\t]/g, '_').trim();
  return cleaned === '' ? fallback : cleaned.slice(0, 120);
}

function renderHtml(summary: string, fields: string[], code: string | null, notes: string[]): string {
  const parts = [`<p style="margin:0 0 12px">${escapeHtml(summary).replace(/\n/g, '<br>')}</p>`];
  if (fields.length) parts.push(`<p style="margin:0 0 12px;color:#555">${fields.map(escapeHtml).join('<br>')}</p>`);
  if (code !== null) {
    parts.push(`<pre style="font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:13px;background:#f6f8fa;border:1px solid #ddd;padding:8px;white-space:pre-wrap;word-break:break-all">${escapeHtml(code)}</pre>`);
  }
  if (notes.length) parts.push(`<p style="margin:12px 0 0;color:#777;font-size:12px">${notes.map(escapeHtml).join('<br>')}</p>`);
  return `<!doctype html><html><body style="font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px">${parts.join('')}</body></html>`;
}

/**
 * Renders an OutboundMessage as a mail body (plain text and a simple HTML version with the
 * output in a monospace block). Output that would push the plain body past `maxTextLength`
 * goes as an attachment instead, named after `code.filename`; a text that alone is too long
 * is attached whole as message.txt. Nothing is cut.
 */
export function renderMail(message: OutboundMessage, maxTextLength: number): RenderedMail {
  const attachments: RenderedMail['attachments'] = [];
  let summary = message.text;
  if (summary.length > maxTextLength - Math.min(FRAME_ROOM, Math.floor(maxTextLength / 4))) {
    attachments.push({ filename: 'message.txt', content: message.text, contentType: 'text/plain; charset=utf-8' });
    summary = `The message is ${message.text.length} characters long, too long for a mail body: it is attached as message.txt.`;
  }
  const fields = fieldLines(message);
  const notes = actionHints(message);
  const frame = [summary, fields.join('\n'), notes.join('\n')].filter((part) => part !== '').join(GAP);
  let code: string | null = null;
  if (message.code) {
    if (frame.length + GAP.length + message.code.content.length <= maxTextLength) code = message.code.content;
    else {
      const filename = safeFilename(message.code.filename, 'output.txt');
      attachments.push({ filename, content: message.code.content, contentType: 'text/plain; charset=utf-8' });
      notes.unshift(`The output (${message.code.content.length} characters) is attached as ${filename}.`);
    }
  }
  const text = [summary, fields.join('\n'), code ?? '', notes.join('\n')].filter((part) => part !== '').join(GAP);
  return { text, html: renderHtml(summary, fields, code, notes), attachments };
}
