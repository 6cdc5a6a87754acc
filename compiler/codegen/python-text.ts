/**
 * The one escaping module for Python targets. Every name or string that comes from a source file
 * (model names, layer names, labels, file paths, Keras-imported names) reaches emitted Python through
 * one of these functions:
 *
 *   pyString(s)        a string literal: double quotes, ASCII only (\xNN, \uNNNN, \UNNNNNNNN
 *                      escapes), so no byte of `s` can end the literal or the line
 *   pyComment(s)       text for a `#` comment: one line, printable ASCII, the rest escaped
 *   mangleName(s)      an identifier, by one stable rule (below); PyNamer adds the collision rule
 *   pyNumber/pyFloat   numbers: an int, or a float that Python reads back to the same double
 *
 * The identifier rule (docs/codegen.md "Names"): a name that is an ASCII identifier, not a keyword or
 * soft keyword, not reserved in its namespace, and does not start with `_` is kept. Otherwise:
 * characters outside [A-Za-z0-9_] become `_`; a name starting with a digit or `_` gets the prefix
 * `m` (so `__import__` → `m__import__` and no name is private or dunder); a keyword or reserved name
 * gets the suffix `_` (`class` → `class_`); a name longer than 64 characters is cut to 55 and given
 * `_` and 8 hex digits of a hash of the whole name. A namer then gives a second name that mangles to
 * a taken one the suffix `_2`, `_3`, … in the order names are first asked for.
 */

import { cutLongName, Namer } from './names.js';

/** Python 3.11–3.13 keywords. */
export const PY_KEYWORDS: ReadonlySet<string> = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

/** Soft keywords: legal identifiers, but mangled anyway so that no emitted name reads as syntax. */
export const PY_SOFT_KEYWORDS: ReadonlySet<string> = new Set(['_', 'case', 'match', 'type']);

/** Python's builtins (3.11–3.13): a module-level name must not shadow one (`super`, `print`). */
export const PY_BUILTINS: ReadonlySet<string> = new Set(
  (
    'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError ' +
    'BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError ' +
    'ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError ' +
    'Ellipsis EncodingWarning EnvironmentError Exception ExceptionGroup False FileExistsError ' +
    'FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError ' +
    'ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError ' +
    'KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError None ' +
    'NotADirectoryError NotImplemented NotImplementedError OSError OverflowError ' +
    'PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError ' +
    'RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning ' +
    'StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError ' +
    'TimeoutError True TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError ' +
    'UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ' +
    'ZeroDivisionError abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable ' +
    'chr classmethod compile complex copyright credits delattr dict dir divmod enumerate eval exec ' +
    'exit filter float format frozenset getattr globals hasattr hash help hex id input int ' +
    'isinstance issubclass iter len license list locals map max memoryview min next object oct ' +
    'open ord pow print property quit range repr reversed round set setattr slice sorted ' +
    'staticmethod str sum super tuple type vars zip'
  ).split(' '),
);

/**
 * Public attributes of torch.nn.Module in PyTorch 1.13 and 2.x: a submodule registered under one of
 * these names would be shadowed by the method (`self.eval`), so such names are mangled. Names
 * starting with `_` are mangled by the general rule.
 */
export const NN_MODULE_ATTRS: ReadonlySet<string> = new Set(
  (
    'T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda ' +
    'double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter ' +
    'get_submodule half ipu load_state_dict modules mtia named_buffers named_children ' +
    'named_modules named_parameters parameters register_backward_hook register_buffer ' +
    'register_forward_hook register_forward_pre_hook register_full_backward_hook ' +
    'register_full_backward_pre_hook register_load_state_dict_post_hook ' +
    'register_load_state_dict_pre_hook register_module register_parameter ' +
    'register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state ' +
    'set_submodule share_memory state_dict to to_empty train training type xpu zero_grad'
  ).split(' '),
);

/** What nn.ModuleDict adds to nn.Module: its keys must not be these either. */
export const MODULE_DICT_ATTRS: ReadonlySet<string> = new Set([
  ...NN_MODULE_ATTRS,
  'clear',
  'items',
  'keys',
  'pop',
  'update',
  'values',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME = 64;

/** True when `name` may be used as it is in a namespace reserving `reserved`. */
export function isSafeName(name: string, reserved: ReadonlySet<string> = new Set()): boolean {
  return (
    IDENTIFIER.test(name) &&
    !name.startsWith('_') &&
    name.length <= MAX_NAME &&
    !PY_KEYWORDS.has(name) &&
    !PY_SOFT_KEYWORDS.has(name) &&
    !reserved.has(name)
  );
}

/** The identifier rule of the header, without collisions. */
export function mangleName(name: string, reserved: ReadonlySet<string> = new Set()): string {
  if (isSafeName(name, reserved)) return name;
  let s = name.replace(/[^A-Za-z0-9_]/gu, '_');
  if (s === '' || /^[0-9_]/.test(s)) s = `m${s}`;
  s = cutLongName(s, name, MAX_NAME);
  while (PY_KEYWORDS.has(s) || PY_SOFT_KEYWORDS.has(s) || reserved.has(s)) s = `${s}_`;
  return s;
}

/**
 * Names in one Python namespace: each original name gets one identifier, stable for the order in
 * which names are first asked for; two originals never share one (names.ts Namer).
 */
export class PyNamer extends Namer {
  constructor(reserved: ReadonlySet<string> = new Set()) {
    super((original) => mangleName(original, reserved), reserved);
  }
}

function escapeChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  switch (ch) {
    case '\\':
      return '\\\\';
    case '"':
      return '\\"';
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
  return `\\U${c.toString(16).padStart(8, '0')}`;
}

/**
 * A Python string literal holding `s` exactly: double-quoted, every character outside printable
 * ASCII escaped (lone surrogates as \uD8xx, which Python accepts in a str).
 */
export function pyString(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeChar(ch);
  return `${out}"`;
}

/**
 * `s` as adjacent Python string literals of at most `width` characters each where its spaces
 * allow (each piece ends with the space it was cut after), for a long text in parentheses:
 * concatenated, Python reads back `s` exactly.
 */
export function pyStringPieces(s: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const word of s.split(/(?<= )/)) {
    if (piece !== '' && pyString(piece + word).length > width) {
      pieces.push(pyString(piece));
      piece = '';
    }
    piece += word;
  }
  return [...pieces, pyString(piece)];
}

/**
 * Text that is safe after `# `: printable ASCII on one line; other characters appear as the escapes
 * pyString uses (so a newline in a file name cannot end the comment and start code).
 */
export function pyComment(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f ? ch : escapeChar(ch);
  }
  return out;
}

/** An integer literal, or a float literal that reads back to the same double. */
export function pyNumber(n: number): string {
  if (!Number.isFinite(n)) {
    if (Number.isNaN(n)) return 'float("nan")';
    return n > 0 ? 'float("inf")' : 'float("-inf")';
  }
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return pyFloat(n);
}

/** A float literal (always with `.` or an exponent): `1.0`, `0.001`, `1e-05`. */
export function pyFloat(n: number): string {
  if (!Number.isFinite(n)) return pyNumber(n);
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * A line of a docstring: as pyComment, with backslashes and double quotes escaped, so no text can
 * end the docstring or start an escape.
 */
export function pyDocText(s: string): string {
  return pyComment(s).replace(/[\\"]/g, (c) => `\\${c}`);
}
