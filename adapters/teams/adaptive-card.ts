import type { MessageStatus, OutboundMessage } from '../../src/core/index.js';
import type { TeamsCardAction } from './normalize.js';

/** An Adaptive Card as JSON (https://adaptivecards.io/explorer/), the way Teams takes it. */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; body: CardElement[]; fallbackText: string };
export type CardElement = Record<string, unknown> & { type: string };

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

const STATUS_LOOK: Readonly<Record<MessageStatus, { label: string; color: string } | null>> = {
  info: null,
  queued: { label: '⏳ Queued', color: 'Accent' },
  running: { label: '▶️ Running', color: 'Accent' },
  succeeded: { label: '✅ Succeeded', color: 'Good' },
  failed: { label: '❌ Failed', color: 'Attention' },
  expired: { label: '⌛ Expired', color: 'Warning' },
  cancelled: { label: '🚫 Cancelled', color: 'Warning' },
  refused: { label: '⛔ Refused', color: 'Attention' },
  error: { label: '⚠️ Error', color: 'Attention' },
};

/** What one card shows; the parts of an OutboundMessage that fit in one Teams message. */
export interface CardParts {
  status?: MessageStatus;
  title?: string;
  text?: string;
  fields?: OutboundMessage['fields'];
  /** Preformatted output, shown in a monospace block. */
  code?: string;
  actions?: OutboundMessage['actions'];
  /** The plain-text rendering for clients that cannot show cards (and notifications). */
  fallbackText: string;
}

function textBlock(text: string, over: Record<string, unknown> = {}): CardElement {
  return { type: 'TextBlock', text, wrap: true, ...over };
}

/**
 * Output in Teams' CodeBlock (monospace, scrollable, copy button); clients without it (mobile)
 * fall back to a monospace TextBlock. Both are plain text, so `*` or `_` in output stay as typed.
 */
function codeBlock(code: string): CardElement {
  return {
    type: 'CodeBlock',
    codeSnippet: code,
    language: 'PlainText',
    fallback: textBlock(code, { fontType: 'Monospace', spacing: 'Small' }),
  };
}

function submit(action: NonNullable<OutboundMessage['actions']>[number]): Record<string, unknown> {
  const data: TeamsCardAction = { skadiAction: action.id, jobId: action.jobId };
  return { type: 'Action.Submit', title: action.label, data };
}

/** Builds the card for one message: status line, title, text, facts, output block and buttons. */
export function buildCard(parts: CardParts): AdaptiveCard {
  const body: CardElement[] = [];
  const look = parts.status ? STATUS_LOOK[parts.status] : null;
  if (look) body.push(textBlock(look.label, { weight: 'Bolder', color: look.color, spacing: 'None' }));
  if (parts.title) body.push(textBlock(parts.title, { weight: 'Bolder', size: 'Medium' }));
  if (parts.text) body.push(textBlock(parts.text));
  if (parts.fields?.length) body.push({ type: 'FactSet', facts: parts.fields.map((f) => ({ title: f.label, value: f.value })) });
  if (parts.code !== undefined) body.push(codeBlock(parts.code));
  const card: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    // Full width: output lines are long, and the default card width wraps them early.
    msteams: { width: 'Full' },
    fallbackText: parts.fallbackText,
    body,
  };
  if (parts.actions?.length) card.actions = parts.actions.map(submit);
  return card;
}
