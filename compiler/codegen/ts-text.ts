/**
 * The one escaping module for TypeScript targets. Every name or string that comes from a source file
 * (model names, layer names, file paths, train-block strings, Keras-imported names) reaches emitted
 * TypeScript through one of these functions:
 *
 *   tsString(s)       a string literal: single quotes, printable ASCII only (\xNN, \uNNNN and
 *                     \u{N} escapes, lone surrogates as \uD8xx), so no character of `s` can end the
 *                     literal or the line, start a template, or reorder the text around it (bidi)
 *   tsComment(s)      text for a `//` comment: one line of printable ASCII, the rest escaped
 *   tsDocText(s)      text inside a `/* … *\/` block: as tsComment, and `*\/` cannot end the block
 *   mangleTsName(s)   an identifier, by one stable rule (below); TsNamer adds the collision rule
 *   tsNumber(n)       a number literal that reads back to the same double
 *
 * The identifier rule (docs/codegen.md "TensorFlow.js names"): a name that matches
 * [A-Za-z][A-Za-z0-9_]*, is not a reserved word of JavaScript or TypeScript, not a global the
 * emitted code relies on (`tf`, `Object`, `undefined`, …) and not reserved in its namespace is
 * kept. Otherwise characters outside [A-Za-z0-9_] become `_`; a name starting with a digit or `_`
 * gets the prefix `m` (`__proto__` → `m__proto__`); a reserved name gets the suffix `_` (`class` →
 * `class_`); a name longer than 64 characters is cut to 55 and given `_` and a hash. A namer then
 * gives a second name that mangles to a taken one the suffix `_2`, `_3`, ….
 *
 * Object literals never take a source name as a key (`{ '__proto__': x }` sets the prototype):
 * emitted code keys such tables with `new Map([...])`.
 */
import { cutLongName, Namer } from './names.js';

/** ECMAScript reserved words (strict mode included) and TypeScript's own keywords. */
export const TS_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export ' +
    'extends false finally for function if import in instanceof new null return super switch this ' +
    'throw true try typeof var void while with yield ' +
    // strict mode and TypeScript
    'implements interface let package private protected public static arguments eval ' +
    'abstract accessor any as asserts assert async bigint boolean constructor declare get global ' +
    'infer is keyof module namespace never number object of out override readonly require ' +
    'satisfies set string symbol type undefined unique unknown using from'
  ).split(' '),
);

/**
 * Globals that emitted code uses or that no name should shadow (`tf` is the TensorFlow.js import of
 * every emitted file).
 */
export const TS_GLOBALS: ReadonlySet<string> = new Set(
  (
    'tf NaN Infinity Object Array Map Set Math Number String Boolean Error TypeError RangeError ' +
    'JSON Promise Symbol Float32Array Int32Array Uint8Array DataView ArrayBuffer Buffer BigInt ' +
    'console process globalThis window self exports module require'
  ).split(' '),
);

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const MAX_NAME = 64;

/** True when `name` may be used as it is in a namespace reserving `reserved`. */
export function isSafeTsName(name: string, reserved: ReadonlySet<string> = new Set()): boolean {
  return (
    IDENTIFIER.test(name) &&
    name.length <= MAX_NAME &&
    !TS_KEYWORDS.has(name) &&
    !TS_GLOBALS.has(name) &&
    !reserved.has(name)
  );
}

/** The identifier rule of the header, without collisions. */
export function mangleTsName(name: string, reserved: ReadonlySet<string> = new Set()): string {
  if (isSafeTsName(name, reserved)) return name;
  let s = name.replace(/[^A-Za-z0-9_]/gu, '_');
  if (s === '' || /^[0-9_]/.test(s)) s = `m${s}`;
  s = cutLongName(s, name, MAX_NAME);
  while (TS_KEYWORDS.has(s) || TS_GLOBALS.has(s) || reserved.has(s)) s = `${s}_`;
  return s;
}

/** Identifiers in one TypeScript scope (names.ts Namer with the rule of the header). */
export class TsNamer extends Namer {
  constructor(reserved: ReadonlySet<string> = new Set()) {
    super((original) => mangleTsName(original, reserved), reserved);
  }
}

function escapeChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  switch (ch) {
    case '\\':
      return '\\\\';
    case "'":
      return "\\'";
    case '`':
      // Harmless in a quoted string, but kept out so that no template can start from one.
      return '\\x60';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  if (c >= 0x20 && c < 0x7f) return ch;
  if (c < 0x100) return `\\x${c.toString(16).padStart(2, '0')}`;
  if (c < 0x10000) return `\\u${c.toString(16).padStart(4, '0')}`;
  return `\\u{${c.toString(16)}}`;
}

/**
 * A TypeScript string literal holding `s` exactly: single-quoted, every character outside
 * printable ASCII escaped (a lone surrogate as \uD8xx, which JavaScript keeps as it is).
 */
export function tsString(s: string): string {
  let out = "'";
  for (const ch of s) out += escapeChar(ch);
  return `${out}'`;
}

/**
 * Text that is safe after `// `: printable ASCII on one line; other characters appear as the escapes
 * tsString uses (so a newline or U+2028 in a file name cannot end the comment and start code).
 */
export function tsComment(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f ? ch : escapeChar(ch);
  }
  return out;
}

/** A line inside a block comment: as tsComment, with `*\/` broken so that it cannot end the block. */
export function tsDocText(s: string): string {
  return tsComment(s).replace(/\*\//g, '*\\/');
}

/** A number literal that reads back to the same double (NaN and the infinities by name). */
export function tsNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}
