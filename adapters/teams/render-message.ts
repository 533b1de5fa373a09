import { numberPrefix, splitText, type OutboundMessage } from '../../src/core/index.js';
import { buildCard, type AdaptiveCard, type CardParts } from './adaptive-card.js';

/**
 * Characters of text one Teams message carries (capabilities.maxTextLength). Teams refuses
 * messages over about 28 KB of JSON. A card carries its text twice (the card and its
 * `fallbackText`), and CJK output is 3 bytes a character in UTF-8: 4000 characters is about the
 * most that always fits (2 × 4000 × 3 = 24 KB plus the card's own markup).
 */
export const TEAMS_MAX_TEXT_LENGTH = 4000;

/** Above this many bytes of card JSON, the fallback text drops the output (the card still shows it). */
const MAX_CARD_BYTES = 26_000;
const SUMMARY_LENGTH = 120;

/** One Teams message to send: an Adaptive Card, its plain-text fallback and the notification summary. */
export interface TeamsOutgoing {
  card: AdaptiveCard;
  fallbackText: string;
  summary: string;
}

function summaryOf(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length <= SUMMARY_LENGTH ? line : `${line.slice(0, SUMMARY_LENGTH - 1)}…`;
}

function outgoing(parts: CardParts, summary: string): TeamsOutgoing {
  let card = buildCard(parts);
  if (Buffer.byteLength(JSON.stringify(card)) > MAX_CARD_BYTES && parts.code !== undefined) {
    // The output would be in the message twice; clients that need the fallback get the summary.
    const fallbackText = [parts.title, parts.text, '(The output is shown in the card.)'].filter(Boolean).join('\n');
    card = buildCard({ ...parts, fallbackText });
  }
  return { card, fallbackText: card.fallbackText, summary };
}

/**
 * Renders an OutboundMessage as Teams messages, each within `limit` characters of text: one card
 * when it fits; otherwise the status card (text, facts, buttons) followed by the output in
 * numbered pieces `(1/n)`, `(2/n)`, … — never cut. Text longer than the limit is itself split
 * in numbered pieces, the first carrying the status, facts and buttons.
 */
export function renderTeamsMessage(message: OutboundMessage, limit: number): TeamsOutgoing[] {
  const summary = summaryOf(message.text || message.title || '');
  const head = [message.title, message.text].filter(Boolean).join('\n');
  const code = message.code?.content ? message.code.content : undefined;
  const base = { status: message.status, fields: message.fields, actions: message.actions };
  const whole = code === undefined ? head : head ? `${head}\n\n${code}` : code;
  if (whole.length <= limit) return [outgoing({ ...base, title: message.title, text: message.text, code, fallbackText: whole }, summary)];

  const out: TeamsOutgoing[] = [];
  const codePieces = code === undefined ? [] : splitText(code, limit - numberPrefix(99_999, 99_999).length, { numbered: false });
  const note = codePieces.length ? ` The output follows in ${codePieces.length} messages.` : '';
  if (head.length + note.length <= limit) {
    const text = `${message.text}${note}`;
    out.push(outgoing({ ...base, title: message.title, text, fallbackText: [message.title, text].filter(Boolean).join('\n') }, summary));
  } else {
    splitText(head, limit).forEach((piece, i) => {
      out.push(outgoing(i === 0 ? { ...base, text: piece, fallbackText: piece } : { text: piece, fallbackText: piece }, summary));
    });
  }
  codePieces.forEach((piece, i) => {
    const marker = numberPrefix(i + 1, codePieces.length);
    const card: CardParts = { code: piece, fallbackText: `${marker}${piece}` };
    out.push(outgoing({ ...card, text: marker.trim() }, `${summary} ${marker.trim()}`.trim()));
  });
  return out;
}
