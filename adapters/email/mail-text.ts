/**
 * Finding the command in a mail. Pure. The subject is the command; when the subject only says
 * "this is a reply" (Re:, AW:, 回复: …) the command is the first line the person wrote in the
 * body, above the quoted mail and the signature.
 */

/** Reply prefixes of common mail clients and languages, possibly repeated or numbered (`Re[2]:`). */
const REPLY_PREFIX = /^(?:\s*(?:re|aw|sv|vs|antw|antwort|ref|réf|rif|r|odp|ynt|vá|atb|回复|回覆|答复|答覆|返信)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+/iu;

/** Bracketed tags at the start of a subject. */
const SUBJECT_TAGS = /^(?:\s*\[[^\]\n]{1,40}\])+/;

/** Lines that introduce the quoted original in a reply ("On Mon, … Alice wrote:"). */
const ATTRIBUTION = [
  /^on\b.{0,300}\bwrote:$/i,
  /^am\b.{0,300}\bschrieb\b.{0,300}:$/i,
  /^le\b.{0,300}\ba écrit\s?:$/i,
  /^el\b.{0,300}\bescribió:$/i,
  /^il\b.{0,300}\bha scritto:$/i,
  /^op\b.{0,300}\bschreef\b.{0,300}:$/i,
  /^在.{0,300}(写道|寫道)[:：]?$/u,
  /^.{0,300}\b(wrote|schrieb|a écrit|escribió|ha scritto|schreef):$/i,
];

/** Lines after which everything is the forwarded or quoted original (Outlook and friends). */
const ORIGINAL_MARKERS = [/^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|forwarded message)\s*-{2,}$/i, /^_{10,}$/, /^(from|von|de|发件人|寄件者)\s*[:：].+$/i];

/** Signature separators: RFC 3676's "-- ", its common mangled forms, and mobile footers. */
const SIGNATURE = [/^--\s?$/, /^—\s?$/, /^sent from my \S+/i, /^get outlook for /i, /^von meinem .+ gesendet$/i];

/**
 * Whether `line` introduces a quote. Clients wrap long attributions, so a line that only
 * matches together with the next one counts when a quote (or nothing) follows them.
 */
function isAttribution(line: string, next: string | undefined, afterNext: string | undefined): boolean {
  if (ATTRIBUTION.some((re) => re.test(line))) return true;
  if (next === undefined || line === '') return false;
  const joined = `${line} ${next.trim()}`;
  const quoteFollows = afterNext === undefined || afterNext.trim() === '' || afterNext.trim().startsWith('>');
  return quoteFollows && ATTRIBUTION.some((re) => re.test(joined));
}

/** The subject without reply prefixes. */
export function baseSubject(subject: string): string {
  return subject.replace(REPLY_PREFIX, '').trim();
}

/** Whether the subject marks a reply (so the command is in the body). */
export function isReplySubject(subject: string): boolean {
  return REPLY_PREFIX.test(subject);
}

/**
 * The part of a plain-text body the person wrote: up to the first quote attribution, quoted
 * block, original-message marker or signature separator. Lines starting with `>` are quotes
 * wherever they are.
 */
export function ownText(body: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (SIGNATURE.some((re) => re.test(line) || re.test(trimmed))) break;
    if (ORIGINAL_MARKERS.some((re) => re.test(trimmed))) break;
    if (isAttribution(trimmed, lines[i + 1], lines[i + 2])) break;
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

/** The first non-empty line of the person's own text, trimmed; '' if there is none. */
export function firstLine(body: string): string {
  return (
    ownText(body)
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/**
 * The command a mail carries: its subject, or, for a reply or a mail without a subject, the
 * first line of its body (quotes and signature removed).
 */
export function commandText(subject: string | undefined, body: string | undefined): string {
  // Tags that servers put in front of subjects ("[EXTERNAL]", "[SPAM?]") are not part of a command, which never starts with "[".
  const s = (subject ?? '').replace(SUBJECT_TAGS, '').trim();
  if (s !== '' && !isReplySubject(s)) return s;
  return firstLine(body ?? '');
}
