import { SkadiError } from './errors.js';
import { globMatch } from './command.js';

/**
 * The one query language for agents, shared by the CLI, the API, chat and access control:
 *
 *   web-1               the agent named web-1 (a plain name)
 *   web-*               names matching a glob (* and ?)
 *   role=web            label role equals web            role!=web   not equal (or absent)
 *   role in (web,api)   label in a set                   role notin (web,api)
 *   canary              label canary present             !canary     label absent
 *   role=web,region=eu  every term must hold (comma = and)
 *
 * Keys are label names (letters, digits, _ . / -); values are words of the same characters
 * plus `:` and `@`. Spaces are allowed around operators and commas.
 */
export type SelectorTerm =
  | { kind: 'name'; glob: string }
  | { kind: 'eq' | 'neq'; key: string; value: string }
  | { kind: 'in' | 'notin'; key: string; values: string[] }
  | { kind: 'exists' | 'absent'; key: string };

export interface Selector {
  source: string;
  terms: SelectorTerm[];
}

export interface SelectableAgent {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** A selector that does not parse: the position (0-based) and a hint of what would fit there. */
export class SelectorError extends SkadiError {
  constructor(
    readonly source: string,
    readonly position: number,
    problem: string,
    readonly hint: string,
  ) {
    super('SKADI_BAD_REQUEST', `selector ${JSON.stringify(source)}: ${problem} at position ${position + 1}${hint ? `; ${hint}` : ''}`, { position, hint });
  }
}

const WORD = /[A-Za-z0-9_./:@-]/;
const NAME_GLOB = /^[a-z0-9_*?-]+$/;

/** True when `text` can only be a selector, not a plain agent name (it has an operator, a glob or a comma). */
export function looksLikeSelector(text: string): boolean {
  return /[=!*?,()]|\s(in|notin)\s/.test(text);
}

/** Parses a selector; throws SelectorError with the position and a hint. */
export function parseSelector(source: string): Selector {
  if (source.length > 1000) throw new SelectorError(source.slice(0, 40), 1000, 'too long', 'a selector is at most 1000 characters');
  let pos = 0;
  const terms: SelectorTerm[] = [];
  const space = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };
  const word = (what: string, hint: string): string => {
    space();
    const start = pos;
    while (pos < source.length && (WORD.test(source[pos]!) || source[pos] === '*' || source[pos] === '?')) pos++;
    if (pos === start) throw new SelectorError(source, start, start >= source.length ? `expected ${what}, found the end` : `expected ${what}, found ${JSON.stringify(source[start])}`, hint);
    return source.slice(start, pos);
  };
  const plain = (w: string, at: number, what: string) => {
    if (/[*?]/.test(w)) throw new SelectorError(source, at, `${what} cannot hold a glob`, 'globs (* ?) match agent names only, e.g. web-*');
    return w;
  };

  space();
  if (pos >= source.length) throw new SelectorError(source, 0, 'empty selector', 'try a name (web-1), a glob (web-*) or a label (role=web)');
  for (;;) {
    space();
    const start = pos;
    if (source[pos] === '!') {
      pos++;
      const key = plain(word('a label name after !', '!canary means: the label canary is absent'), start + 1, 'a label name');
      terms.push({ kind: 'absent', key });
    } else {
      const first = word('a name, a glob or a label', 'try web-1, web-* or role=web');
      space();
      if (source.startsWith('!=', pos)) {
        pos += 2;
        terms.push({ kind: 'neq', key: plain(first, start, 'a label name'), value: plain(word('a value after !=', 'e.g. role!=web'), pos, 'a value') });
      } else if (source[pos] === '=') {
        pos += source[pos + 1] === '=' ? 2 : 1;
        terms.push({ kind: 'eq', key: plain(first, start, 'a label name'), value: plain(word('a value after =', 'e.g. role=web'), pos, 'a value') });
      } else if (/^(in|notin)\s*\(/.test(source.slice(pos))) {
        const kind = source.startsWith('notin', pos) ? 'notin' : 'in';
        pos += kind.length;
        space();
        pos++; // (
        const values: string[] = [];
        for (;;) {
          values.push(plain(word('a value in the list', `e.g. ${first} ${kind} (web,api)`), pos, 'a value'));
          space();
          if (source[pos] === ',') {
            pos++;
            continue;
          }
          if (source[pos] === ')') {
            pos++;
            break;
          }
          throw new SelectorError(source, pos, pos >= source.length ? 'the list is not closed' : `expected , or ) in the list, found ${JSON.stringify(source[pos])}`, `close it: ${first} ${kind} (${values.join(',')})`);
        }
        terms.push({ kind, key: plain(first, start, 'a label name'), values });
      } else if (/[*?]/.test(first)) {
        if (!NAME_GLOB.test(first)) throw new SelectorError(source, start, 'a name glob has only a-z, 0-9, -, _, * and ?', 'e.g. web-*');
        terms.push({ kind: 'name', glob: first });
      } else if (/^[a-z0-9][a-z0-9_-]*$/.test(first) && !/^(in|notin)$/.test(first)) {
        // A bare word is an agent name or a label that must be present; agent names win when both could apply (see matches).
        terms.push({ kind: 'name', glob: first });
      } else {
        terms.push({ kind: 'exists', key: first });
      }
    }
    space();
    if (pos >= source.length) break;
    if (source[pos] !== ',') throw new SelectorError(source, pos, `expected , or the end, found ${JSON.stringify(source[pos])}`, 'join terms with commas: role=web,region=eu');
    pos++;
  }
  return { source, terms };
}


function termMatches(term: SelectorTerm, agent: SelectableAgent): boolean {
  const labels = agent.labels;
  switch (term.kind) {
    case 'name':
      // A bare word matches the agent of that name, or an agent carrying that label.
      // globMatch is linear: a regular expression built from `*a*a*a…` backtracks for minutes (ReDoS).
      return globMatch(term.glob, agent.name) || (!/[*?]/.test(term.glob) && Object.hasOwn(labels, term.glob));
    case 'eq':
      return labels[term.key] === term.value;
    case 'neq':
      return labels[term.key] !== term.value;
    case 'in':
      return Object.hasOwn(labels, term.key) && term.values.includes(labels[term.key]!);
    case 'notin':
      return !Object.hasOwn(labels, term.key) || !term.values.includes(labels[term.key]!);
    case 'exists':
      return Object.hasOwn(labels, term.key);
    case 'absent':
      return !Object.hasOwn(labels, term.key);
  }
}

/** True when the agent satisfies every term. */
export function selectorMatches(selector: Selector, agent: SelectableAgent): boolean {
  return selector.terms.every((t) => termMatches(t, agent));
}

/** True when the selector names exactly one agent by its plain name (no fan-out). */
export function isSingleName(selector: Selector): boolean {
  return selector.terms.length === 1 && selector.terms[0]!.kind === 'name' && !/[*?]/.test((selector.terms[0] as { glob: string }).glob);
}
