/**
 * The invisible characters that change the order in which text is shown: a comment or string
 * holding them can make code read differently from what the compiler sees (the "Trojan Source"
 * attack, CVE-2021-42574). rustc's lints `text_direction_codepoint_in_comment` and
 * `text_direction_codepoint_in_literal` flag the embeddings, overrides and isolates; GitHub's
 * "hidden bidirectional Unicode text" warning the marks as well. The lexer warns about each
 * (CNN1006) and code frames show them as U+FFFD.
 */
export interface BidiControl {
  readonly name: string;
  /** What it does to the text after it, for the warning. */
  readonly effect: string;
}

export const BIDI_CONTROLS: ReadonlyMap<number, BidiControl> = new Map([
  [0x202a, { name: 'LEFT-TO-RIGHT EMBEDDING', effect: 'shows the text after it left to right' }],
  [0x202b, { name: 'RIGHT-TO-LEFT EMBEDDING', effect: 'shows the text after it right to left' }],
  [0x202c, { name: 'POP DIRECTIONAL FORMATTING', effect: 'ends an embedding or override' }],
  [0x202d, { name: 'LEFT-TO-RIGHT OVERRIDE', effect: 'forces the text after it left to right' }],
  [0x202e, { name: 'RIGHT-TO-LEFT OVERRIDE', effect: 'reverses the text after it on screen' }],
  [0x2066, { name: 'LEFT-TO-RIGHT ISOLATE', effect: 'shows the text after it left to right' }],
  [0x2067, { name: 'RIGHT-TO-LEFT ISOLATE', effect: 'shows the text after it right to left' }],
  [0x2068, { name: 'FIRST STRONG ISOLATE', effect: 'sets the direction of the text after it' }],
  [0x2069, { name: 'POP DIRECTIONAL ISOLATE', effect: 'ends an isolate' }],
  [0x200e, { name: 'LEFT-TO-RIGHT MARK', effect: 'can move neutral characters around it' }],
  [0x200f, { name: 'RIGHT-TO-LEFT MARK', effect: 'can move neutral characters around it' }],
  [0x061c, { name: 'ARABIC LETTER MARK', effect: 'can move neutral characters around it' }],
]);

/** Matches any of BIDI_CONTROLS. */
export const BIDI_PATTERN = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function isBidiControl(cp: number): boolean {
  return BIDI_CONTROLS.has(cp);
}
