/**
 * Escaping for the markdown report (GitHub-flavoured markdown, in a pull-request comment). File
 * paths and layer names come from sources; everything placed in the markdown goes through one of
 * these two functions.
 */

/**
 * Text outside code, within a line (a table cell, or after other words: never where it could open
 * a block, so `#`, `-` or `1.` need no escape): invisible characters are made visible (`visible`),
 * the characters markdown reads as inline syntax anywhere (`\ ` * _ [ ] ~ |`) are
 * backslash-escaped, `<`, `>` and `&` become entities (no HTML tag or entity can form), and line
 * breaks become spaces (a table cell is one line).
 */
export function mdText(text: string): string {
  return visible(text)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]~|]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A code span: fenced with more backticks than the longest run inside, padded with spaces when
 * the text starts or ends with a backtick; `|` is written `\|`, which GitHub's tables require even
 * inside code; line breaks become spaces.
 */
export function mdCode(text: string): string {
  const flat = visible(text)
    .replace(/[\r\n]+/g, ' ')
    .replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Control characters and the invisible ones that reorder or hide text (bidirectional controls,
 * zero-width characters) are shown as `<U+202E>`, as the diagrams do (compiler/diagram/escape.ts).
 */
function visible(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`,
  );
}
