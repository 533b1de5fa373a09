import { looksLikeSelector, parseSelector, SelectorError } from '../core/index.js';
import type { Token } from './tokenize.js';

/** `<selector> [--concurrency N] [--max-failures N] <message…>`, read from the start of a message. */
export type ParsedFanOut =
  | { kind: 'fanout'; selector: string; message: string; concurrency?: number; maxFailures?: number }
  | { kind: 'error'; error: 'bad-selector' | 'bad-option'; message: string };

/** Selectors may hold spaces (`role in (web,api)`, `role = web`): prefixes of up to this many words are tried. */
const MAX_SELECTOR_WORDS = 16;
const MAX_SELECTOR_LENGTH = 1000;

export const FAN_OUT_OPTIONS_HELP = 'Options go right after the selector: --concurrency N (or --batch N), how many agents run it at once; --max-failures N, stop starting more after N failures.';

const OPTION_NAMES: Readonly<Record<string, 'concurrency' | 'maxFailures'>> = {
  '--concurrency': 'concurrency',
  '--batch': 'concurrency',
  '--max-failures': 'maxFailures',
  '--max-errors': 'maxFailures',
};

/**
 * The longest run of leading words that is a selector and could not be an agent name: a plain
 * `web-1` stays `<agent> <message>`, while `web-*`, `role=web,region=eu`, `!canary` and
 * `role in (web,api)` (spaces and all) start a fan-out. Null when the text is not a fan-out;
 * an error when the first word can only be a selector but none parses.
 */
export function parseFanOut(text: string, tokens: readonly Token[]): ParsedFanOut | null {
  const first = tokens[0];
  if (!first || first.quoted) return null;
  const limit = Math.min(tokens.length, MAX_SELECTOR_WORDS);
  for (let n = limit; n >= 1; n--) {
    const candidate = text.slice(first.start, tokens[n - 1]!.end);
    if (candidate.length > MAX_SELECTOR_LENGTH || tokens.slice(0, n).some((t) => t.quoted) || !looksLikeSelector(candidate)) continue;
    try {
      parseSelector(candidate);
    } catch {
      continue;
    }
    return readOptions(text, candidate, tokens.slice(n));
  }
  if (!looksLikeSelector(first.value)) return null;
  try {
    parseSelector(first.value);
    return null;
  } catch (err) {
    const why = err instanceof SelectorError ? err.message : String(err);
    return { kind: 'error', error: 'bad-selector', message: `That looks like a selector, but I could not read it: ${why}. For example: "role=web uptime", "web-* uptime", "role in (web,api) uptime".` };
  }
}

function readOptions(text: string, selector: string, rest: readonly Token[]): ParsedFanOut {
  const options: { concurrency?: number; maxFailures?: number } = {};
  let from = rest.length ? rest[0]!.start : text.length;
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (token.quoted || !token.value.startsWith('--')) break;
    if (token.value === '--') {
      from = rest[i + 1]?.start ?? text.length;
      break;
    }
    const eq = token.value.indexOf('=');
    const name = (eq < 0 ? token.value : token.value.slice(0, eq)).toLowerCase();
    const key = OPTION_NAMES[name];
    if (!key) return badOption(selector, `I know no option "${token.value}"`);
    let value = eq < 0 ? undefined : token.value.slice(eq + 1);
    if (value === undefined) {
      value = rest[i + 1]?.value;
      i++;
    }
    const min = key === 'concurrency' ? 1 : 0;
    if (value === undefined || !/^\d{1,6}$/.test(value) || Number(value) < min) {
      return badOption(selector, `${name} needs a whole number of at least ${min}${value === undefined ? '' : `, not "${value}"`}`);
    }
    options[key] = Number(value);
    from = rest[i + 1]?.start ?? text.length;
  }
  return { kind: 'fanout', selector, message: text.slice(from).trim(), ...options };
}

function badOption(selector: string, problem: string): ParsedFanOut {
  return { kind: 'error', error: 'bad-option', message: `${problem}. ${FAN_OUT_OPTIONS_HELP} For example: "${selector} --concurrency 5 --max-failures 1 uptime".` };
}
