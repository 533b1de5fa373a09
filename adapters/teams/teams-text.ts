/**
 * Teams message text to plain text. Teams escapes what users type (`&amp;`, `&lt;`), puts
 * mentions in `<at>Name</at>` tags, writes the space after a mention as `&nbsp;`, and for
 * formatted messages (bold, lists, code, pasted content) sends HTML in `text`. Pure functions.
 */

/** Tags Teams uses in message HTML. Anything else that looks like a tag (`<host>`) is left alone: it is the user's text. */
const TEAMS_TAGS = 'at|p|div|span|br|b|i|u|s|em|strong|strike|del|ins|code|pre|a|ul|ol|li|blockquote|h[1-6]|img|table|thead|tbody|tr|td|th|hr|sup|sub|font|emoji|systemeventmessage';
const ANY_TAG = new RegExp(`</?(?:${TEAMS_TAGS})(?:\\s[^<>]*)?/?>`, 'gi');
const LINE_BREAK = /<br\s*\/?>/gi;
const BLOCK_END = /<\/(?:p|div|li|pre|blockquote|h[1-6]|tr)\s*>/gi;
/** Teams emoji come as `<emoji alt="😄" …></emoji>` or `<img alt="😄" itemtype="…/Emoji">`: keep the character. */
const EMOJI = /<(?:emoji|img)\b[^<>]*?\balt="([^"]*)"[^<>]*>(?:<\/emoji>)?/gi;

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  hellip: '…',
  ndash: '–',
  mdash: '—',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  euro: '€',
  times: '×',
};

/** Decodes one level of HTML character references; unknown names and invalid code points stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return valid ? (code === 0xa0 ? ' ' : String.fromCodePoint(code)) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Whether `text` carries Teams HTML markup (as opposed to plain text with escaped characters). */
export function hasTeamsMarkup(text: string): boolean {
  return new RegExp(`</?(?:${TEAMS_TAGS})(?:\\s[^<>]*)?/?>`, 'i').test(text);
}

/** Teams HTML to plain text: line breaks kept, emoji kept, tags dropped (entities still encoded). */
export function stripTeamsMarkup(html: string): string {
  return html.replace(EMOJI, '$1').replace(LINE_BREAK, '\n').replace(BLOCK_END, '\n').replace(ANY_TAG, '');
}

/**
 * The text a user addressed to the bot: the bot's own mentions removed (`botMentions` are the
 * raw `<at>…</at>` strings from the activity's mention entities), other mentions reduced to the
 * name, markup dropped, entities decoded, non-breaking spaces made plain, ends trimmed. CJK text,
 * emoji and full-width spaces inside the message are untouched.
 */
export function cleanTeamsText(raw: string, botMentions: readonly string[]): string {
  let text = raw.replace(/\r\n?/g, '\n');
  for (const mention of botMentions) {
    if (mention) text = text.split(mention).join(' ');
  }
  if (hasTeamsMarkup(text)) text = stripTeamsMarkup(text);
  text = decodeEntities(text).replace(/\u00a0/g, ' ');
  // Trim ASCII whitespace only: a full-width space is text the user typed on purpose.
  return text.replace(/^[ \t\n]+|[ \t\n]+$/g, '');
}
