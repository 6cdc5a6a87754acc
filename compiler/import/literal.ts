/**
 * A reader for JSON and for the object literals that minified JavaScript bundles hold (unquoted
 * keys, single-quoted strings, `!0`/`!1` for true/false, `.5`, `void 0`), keeping the span of every
 * value so that diagnostics about a Keras model can point into its model.json. It never evaluates
 * code: anything that is not a literal is a syntax error.
 */
import type { Span } from '../diagnostics/diagnostic.js';

export type Literal =
  | { readonly kind: 'object'; readonly entries: readonly Entry[]; readonly span: Span }
  | { readonly kind: 'array'; readonly items: readonly Literal[]; readonly span: Span }
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'number'; readonly value: number; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'null'; readonly span: Span };

export interface Entry {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: Literal;
}

/** A literal that could not be read: where and why. */
export class LiteralError extends Error {
  override readonly name = 'LiteralError';
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$]/;
const MAX_DEPTH = 200;

class Reader {
  pos: number;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    start: number,
  ) {
    this.pos = start;
  }

  span(start: number, end = this.pos): Span {
    return { file: this.file, start, end };
  }

  fail(message: string, start = this.pos, end = Math.min(this.text.length, start + 1)): never {
    throw new LiteralError(message, this.span(start, end));
  }

  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') this.pos++;
      else if (c === '/' && t[this.pos + 1] === '/') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === '/' && t[this.pos + 1] === '*') {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }

  value(): Literal {
    this.skip();
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (c === undefined) this.fail('unexpected end of the text', start, start);
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"' || c === "'") {
      return { kind: 'string', value: this.string(), span: this.span(start) };
    }
    if (c === '!' && (t[start + 1] === '0' || t[start + 1] === '1')) {
      this.pos += 2;
      return { kind: 'bool', value: t[start + 1] === '0', span: this.span(start) };
    }
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.number();
    if (IDENT_START.test(c)) {
      const word = this.ident();
      const span = this.span(start);
      if (word === 'true' || word === 'false')
        return { kind: 'bool', value: word === 'true', span };
      if (word === 'null' || word === 'undefined') return { kind: 'null', span };
      if (word === 'NaN' || word === 'Infinity')
        return { kind: 'number', value: Number(word), span };
      if (word === 'void') {
        this.skip();
        if (this.text[this.pos] !== '0') this.fail('expected `void 0`');
        this.pos++;
        return { kind: 'null', span: this.span(start) };
      }
      this.fail(`\`${word}\` is not a literal`, start, this.pos);
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private ident(): string {
    const start = this.pos;
    while (this.pos < this.text.length && IDENT_PART.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private number(): Literal {
    const start = this.pos;
    const m = /^[-+]?(?:Infinity|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(
      this.text.slice(start, start + 64),
    );
    if (!m) this.fail('malformed number');
    this.pos += m[0].length;
    const sign = m[0][0] === '-' ? -1 : 1;
    const body = m[0].replace(/^[-+]/, '');
    return { kind: 'number', value: sign * Number(body), span: this.span(start) };
  }

  private string(): string {
    const t = this.text;
    const quote = t[this.pos];
    const start = this.pos++;
    let out = '';
    let run = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string', start, t.length);
      const c = t[this.pos];
      if (c === quote) {
        out += t.slice(run, this.pos++);
        return out;
      }
      if (c === '\n') this.fail('line break in a string', start, this.pos);
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      out += t.slice(run, this.pos);
      const e = t[this.pos + 1];
      this.pos += 2;
      const simple: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        b: '\b',
        f: '\f',
        v: '\v',
        '0': '\0',
      };
      if (e === 'u') {
        const hex = t.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('malformed \\u escape', this.pos - 2);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else if (e === 'x') {
        const hex = t.slice(this.pos, this.pos + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('malformed \\x escape', this.pos - 2);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 2;
      } else if (e !== undefined && e in simple) out += simple[e];
      else if (e !== undefined) out += e;
      run = this.pos;
    }
  }

  private object(): Literal {
    const start = this.pos++;
    const entries: Entry[] = [];
    for (;;) {
      this.skip();
      const c = this.text[this.pos];
      if (c === '}') break;
      const keyStart = this.pos;
      let key: string;
      if (c === '"' || c === "'") key = this.string();
      else if (c !== undefined && IDENT_START.test(c)) key = this.ident();
      else if (c !== undefined && c >= '0' && c <= '9') key = String(this.numberValue());
      else this.fail(c === undefined ? 'unterminated object' : 'expected a key or `}`', start);
      const keySpan = this.span(keyStart);
      this.skip();
      if (this.text[this.pos] !== ':') this.fail('expected `:`');
      this.pos++;
      entries.push({ key, keySpan, value: this.value() });
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('expected `,` or `}`');
    }
    this.pos++;
    return { kind: 'object', entries, span: this.span(start) };
  }

  private numberValue(): number {
    const v = this.number();
    return v.kind === 'number' ? v.value : NaN;
  }

  private array(): Literal {
    const start = this.pos++;
    const items: Literal[] = [];
    for (;;) {
      this.skip();
      if (this.text[this.pos] === ']') break;
      if (this.pos >= this.text.length) this.fail('unterminated array', start);
      items.push(this.value());
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== ']') this.fail('expected `,` or `]`');
    }
    this.pos++;
    return { kind: 'array', items, span: this.span(start) };
  }
}

/** Reads a whole text as one literal (JSON, or a JavaScript object literal). */
export function parseLiteral(text: string, file: string): Literal {
  const r = new Reader(text, file, 0);
  const v = r.value();
  r.skip();
  if (r.pos < text.length) r.fail('unexpected text after the value');
  return v;
}

/** Reads one literal that starts at `offset` and returns it with the offset just after it. */
export function parseLiteralAt(
  text: string,
  file: string,
  offset: number,
): { readonly value: Literal; readonly end: number } {
  const r = new Reader(text, file, offset);
  const value = r.value();
  return { value, end: r.pos };
}

/** The plain JavaScript value of a literal (objects, arrays, strings, numbers, booleans, null). */
export function toPlain(v: Literal): unknown {
  switch (v.kind) {
    case 'object': {
      // Own properties, as JSON.parse makes them: `o["__proto__"] = x` would set the prototype.
      const o: Record<string, unknown> = {};
      for (const e of v.entries) {
        const value = toPlain(e.value);
        Object.defineProperty(o, e.key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return o;
    }
    case 'array':
      return v.items.map(toPlain);
    case 'null':
      return null;
    default:
      return v.value;
  }
}

/** The value under `key` in an object literal, if any (the last one when a key repeats). */
export function field(v: Literal | undefined, key: string): Literal | undefined {
  if (!v || v.kind !== 'object') return undefined;
  let found: Literal | undefined;
  for (const e of v.entries) if (e.key === key) found = e.value;
  return found;
}

export function str(v: Literal | undefined): string | undefined {
  return v?.kind === 'string' ? v.value : undefined;
}

export function num(v: Literal | undefined): number | undefined {
  return v?.kind === 'number' ? v.value : undefined;
}

export function bool(v: Literal | undefined): boolean | undefined {
  return v?.kind === 'bool' ? v.value : undefined;
}

/** The numbers of an array literal (null items become null), or undefined if it is not one. */
export function numbers(v: Literal | undefined): (number | null)[] | undefined {
  if (v?.kind === 'number') return [v.value];
  if (v?.kind !== 'array') return undefined;
  const out: (number | null)[] = [];
  for (const i of v.items) {
    if (i.kind === 'number') out.push(i.value);
    else if (i.kind === 'null') out.push(null);
    else return undefined;
  }
  return out;
}
