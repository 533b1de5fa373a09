// DOM helpers. Every string from the server goes in through textContent or setAttribute,
// never innerHTML: job output, agent names and display names can be hostile.

/**
 * Creates an element. `props`: class, text (textContent), dataset, title, on<event> handlers,
 * and plain attributes. Children: nodes or strings (added as text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

// Bidirectional controls (U+202E and friends) can make `evil\u202Egnp.exe` read as
// "evilexe.png". In names and labels they are shown as visible marks instead.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** True if the text holds a bidirectional control character. */
export function hasBidi(text) {
  BIDI.lastIndex = 0;
  const found = BIDI.test(text);
  // A global regex remembers where it stopped, and matchAll (in visible) starts from there.
  BIDI.lastIndex = 0;
  return found;
}

/**
 * The text as nodes, with each bidi control replaced by a visible mark such as [U+202E]:
 * for names, titles and labels, where a reordered string is a spoof.
 */
export function visible(text) {
  const nodes = [];
  let last = 0;
  BIDI.lastIndex = 0;
  for (const m of String(text).matchAll(BIDI)) {
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    const code = m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    nodes.push(h('span', { class: 'ctl', title: 'invisible direction control character', text: `[U+${code}]` }));
    last = m.index + m[0].length;
  }
  if (last < text.length || nodes.length === 0) nodes.push(document.createTextNode(String(text).slice(last)));
  return nodes;
}

/** The text with each bidi control written out as [U+XXXX], for places that take text only (options, titles). */
export function visibleText(text) {
  return String(text).replace(BIDI, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

export function $(id) {
  return document.getElementById(id);
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", or the date. */
export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element. `attrs` are plain attributes (numbers are fine) plus `class` and
 * `text` (textContent); children as for h(). Charts use it: no library, no inline style.
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A duration for people: "850 ms", "4.2 s", "3 min 5 s", "2 h 4 min". */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/** Milliseconds between two ISO times, or null when either is missing. */
export function between(fromIso, toIso) {
  if (!fromIso || !toIso) return null;
  return Date.parse(toIso) - Date.parse(fromIso);
}
