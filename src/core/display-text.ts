/**
 * Text from users, agents and platforms shown back in a reply. Direction controls (U+202A–202E,
 * U+2066–2069, U+200E/F, U+061C) are made visible as `[U+202E]`, so a name or message cannot
 * render reversed ("evil\u202Egnp.exe" shown as "evilexe.png") and pass for something else;
 * other control characters (a NUL, an ESC starting a terminal sequence) become U+FFFD. The web
 * page does the same in names and labels. Job output is not passed through this: it is shown
 * byte for byte, as a file or a code block.
 */
export function displayText(text: string): string {
  return text
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '\ufffd');
}
