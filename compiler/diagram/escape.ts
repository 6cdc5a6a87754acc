/**
 * The one escaping function of the diagrams: every name, label, path or source excerpt that reaches
 * SVG or HTML text or an attribute value goes through it.
 *
 * - `& < > " '` become entities, so a name cannot open an element, close an attribute or a CDATA
 *   section (`]]>` becomes `]]&gt;`), or start a `<script>`.
 * - Characters that XML 1.0 forbids (C0 controls other than tab and newline, lone surrogates,
 *   U+FFFE/U+FFFF) and the invisible characters that reorder or hide text (the bidirectional
 *   controls U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069, and zero-width characters) are shown
 *   as a visible `<U+202E>` instead of being passed on, so a label cannot display as something else.
 *
 * It must stay self-contained (no references outside its body): the HTML diagram ships its source
 * text to the browser (compiler/diagram/html.ts), where the same function escapes re-rendered labels.
 */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&#39;';
    else if (
      (c < 0x20 && c !== 0x09 && c !== 0x0a) ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x061c ||
      (c >= 0x200b && c <= 0x200f) ||
      (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x2069) ||
      c === 0xfeff ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c === 0xfffe ||
      c === 0xffff
    ) {
      out += `&lt;U+${c.toString(16).toUpperCase().padStart(4, '0')}&gt;`;
    } else out += ch;
  }
  return out;
}
