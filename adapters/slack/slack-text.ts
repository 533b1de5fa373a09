/**
 * Slack's message markup, both ways. Inbound text arrives with `&`, `<` and `>` escaped and with
 * links, mentions and channel references in angle brackets; outbound text must be escaped the
 * same way, or a job's output containing `<!channel>` would ping a whole channel.
 */

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** Turns Slack's escaped text back into what the user typed. Only Slack's three entities exist. */
export function unescapeSlack(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity]!);
}

/** Escapes plain text for a Slack `text` or `mrkdwn` field. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Removes every mention of the bot (`<@U123>` or `<@U123|name>`) and the spaces around it: "@skadi
 * local uptime" and "local uptime @skadi" both mean "local uptime". Works on the raw (escaped) text.
 */
export function stripMention(text: string, botUserId: string): string {
  const mention = new RegExp(`\\s*<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>\\s*`, 'g');
  return text.replace(mention, ' ').trim();
}

/** Whether the raw text mentions the bot. */
export function mentions(text: string, botUserId: string): boolean {
  return new RegExp(`<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>`).test(text);
}

/**
 * Slack markup to plain text, as the user saw it when typing: `<https://x|x.com>` → `x.com` (Slack
 * links what looks like a domain and keeps what was typed as the label), `<https://x>` → `https://x`,
 * `<@U1>` → `@U1`, `<@U1|ann>` → `@ann`, `<#C1|ops>` → `#ops`, `<!here>` → `@here`,
 * `<!subteam^S1|@sre>` → `@sre`; then the entities. A job's text is then exactly the typed words.
 */
export function decodeSlackText(text: string): string {
  const decoded = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const bar = inner.indexOf('|');
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? null : inner.slice(bar + 1);
    switch (target[0]) {
      case '@':
        return label !== null ? `@${label.replace(/^@/, '')}` : target;
      case '#':
        return label !== null && label !== '' ? `#${label}` : target;
      case '!': {
        if (label !== null) return label.startsWith('@') ? label : `@${label}`;
        const word = target.slice(1).split('^')[0]!;
        return `@${word}`;
      }
      default:
        return label ?? target;
    }
  });
  return unescapeSlack(decoded);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
