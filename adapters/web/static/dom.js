/* global document -- browser script, served as is (no build step) */
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
  return BIDI.test(text);
}

/**
 * The text as nodes, with each bidi control replaced by a visible mark such as [U+202E]:
 * for names, titles and labels, where a reordered string is a spoof.
 */
export function visible(text) {
  const nodes = [];
  let last = 0;
  for (const m of String(text).matchAll(BIDI)) {
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    const code = m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    nodes.push(h('span', { class: 'ctl', title: 'invisible direction control character', text: `[U+${code}]` }));
    last = m.index + m[0].length;
  }
  if (last < text.length || nodes.length === 0) nodes.push(document.createTextNode(String(text).slice(last)));
  return nodes;
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
