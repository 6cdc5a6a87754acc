/**
 * The one way a string from outside (a Keras model's or layer's name, a file name) reaches
 * generated .cnn text: as an identifier, inside a line comment, or as a string literal. Each is
 * checked against the lexer itself (grammar/lexer.ts, grammar/tokens.ts), so that no name can end
 * a comment, open a statement or declare a second model: a Keras model named
 * "m`\nmodel Injected { input 4, dense 99 }\n// " used to do exactly that.
 */
import { BIDI_PATTERN } from '../diagnostics/bidi.js';
import { lex } from '../../grammar/lexer.js';
import { Identifier } from '../../grammar/tokens.js';

/** `name` lexes as exactly one identifier: not a keyword, not dimensions such as `HxW`. */
export function isCnnIdentifier(name: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
  const { tokens, diagnostics } = lex(name, 'name');
  return diagnostics.length === 0 && tokens.length === 1 && tokens[0].tokenType === Identifier;
}

/**
 * The identifier closest to `name`: itself when it is one; else every character outside
 * `[A-Za-z0-9_]` becomes `_` (an identifier starts with a letter or `_`), and a keyword or
 * dimensions (`in`, `HxW`) gets a trailing `_`.
 */
export function cnnIdentifier(name: string): string {
  if (isCnnIdentifier(name)) return name;
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(s)) s = `_${s}`;
  return isCnnIdentifier(s) ? s : `${s}_`;
}

/**
 * Identifiers for a list of names, distinct and stable (the same names in the same order give the
 * same identifiers): a name that is an identifier keeps it; any other takes cnnIdentifier's, with
 * `_2`, `_3`, … when that is taken by an earlier one or is another name as written.
 */
export function cnnIdentifiers(names: readonly string[]): Map<string, string> {
  const taken = new Set(names.filter(isCnnIdentifier));
  const out = new Map<string, string>();
  for (const name of names) {
    if (out.has(name)) continue;
    if (isCnnIdentifier(name)) {
      out.set(name, name);
      continue;
    }
    const stem = cnnIdentifier(name);
    let id = stem;
    for (let k = 2; taken.has(id); k++) id = `${stem}_${k}`;
    taken.add(id);
    out.set(name, id);
  }
  return out;
}

/** Characters a line comment cannot hold: line breaks, other controls, and text-direction marks. */
const NOT_IN_COMMENT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text` made safe for the inside of a `// …` comment: it cannot end the line or hide text.
 * Line breaks and other control characters become spaces, text-direction controls (CNN1006) are
 * dropped, and `*\/` is broken apart so the text could even sit in a block comment.
 */
export function cnnComment(text: string): string {
  return text.replace(NOT_IN_COMMENT, ' ').replace(BIDI_PATTERN, '').replace(/\*\//g, '* /');
}

/**
 * `value` as a .cnn string literal: `\` and `"` escaped, a line break as `\n`, a tab as `\t` (the
 * escapes tokens.ts reads back). The language has no escape for other control characters or for
 * text-direction controls, which a literal may not show raw: they become U+FFFD.
 */
export function cnnString(value: string): string {
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(NOT_IN_COMMENT, '\uFFFD')
    .replace(BIDI_PATTERN, '\uFFFD');
  return `"${body}"`;
}
