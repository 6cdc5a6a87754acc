/**
 * The canonical layout of a .cnn file, from its syntax tree with the comments prettier attached
 * (attach.ts) to lines of text:
 *
 * - one line of statements per line, indented one level per `{`; statements that were joined by
 *   commas stay on one line (`conv 6 5x5, tanh`), a `;` or a line break starts a new line;
 * - a `{ … }` written on one line stays on one line (`repeat 2 { conv_bn(32) }`) when it holds no
 *   comment and fits in the print width; otherwise it opens a block;
 * - blank lines between statements are kept, several collapse into one, none at the start or end
 *   of a block;
 * - comments stay where they were: on a line of their own, at the end of a line (the alignment of
 *   those is align.ts's business), or among the tokens of a statement.
 *
 * The text of each statement comes from its tokens (tokens.ts); the tree says where statements,
 * bodies and comments are.
 */
import type { FileAst } from '../../grammar/index.js';
import {
  bodiesOf,
  bracePairs,
  nodeStart,
  type Body,
  type FmtComment,
  type FmtNode,
  type Source,
} from './source.js';
import { printTokens } from './tokens.js';

/** A comment at the end of a line, and the column it started at in the source. */
export interface EndOfLine {
  readonly text: string;
  readonly sourceCol: number;
}

export interface Line {
  readonly depth: number;
  readonly text: string;
  readonly eol?: EndOfLine;
  /** For a line of comments: where the last of them ends in the source. */
  readonly after?: number;
}

export interface LayoutOptions {
  /** Spaces per level. */
  readonly indent: number;
  readonly printWidth: number;
}

interface Printed {
  readonly lines: Line[];
  /** Some body of this node (not of a statement inside it) was printed on one line. */
  readonly inlined: boolean;
}

type Commented = { comments?: FmtComment[] };

function commentsOf(n: object): FmtComment[] {
  return (n as Commented).comments ?? [];
}

export function layoutFile(src: Source, root: FileAst, options: LayoutOptions): Line[] {
  return new Layout(src, options).file(root);
}

class Layout {
  constructor(
    private readonly src: Source,
    private readonly options: LayoutOptions,
  ) {}

  file(root: FileAst): Line[] {
    const lines = this.items(root.decls, 0, false);
    const dangling = commentsOf(root);
    for (const c of dangling) this.ownLine(lines, c, 0);
    return lines;
  }

  // ------------------------------------------------------------ bodies

  /** The statements of a body (or the declarations of the file), a line of them per line. */
  private items(items: readonly FmtNode[], depth: number, alwaysBreak: boolean): Line[] {
    const out: Line[] = [];
    for (const group of this.lineGroups(items, alwaysBreak)) {
      const first = group[0];
      for (const c of commentsOf(first)) {
        if (c.leading && this.endsLine(c)) this.ownLine(out, c, depth);
      }
      const line = this.lineGroup(group, depth);
      if (out.length > 0 && this.blankBefore(this.lineStart(first))) out.push(blank());
      out.push(...line);
      const last = group[group.length - 1];
      for (const c of commentsOf(last)) {
        if (c.trailing && this.onOwnLine(c, last)) this.ownLine(out, c, depth);
      }
    }
    return out;
  }

  /** Consecutive items written with only commas between them share a line. */
  private lineGroups(items: readonly FmtNode[], alwaysBreak: boolean): FmtNode[][] {
    const groups: FmtNode[][] = [];
    let prev: FmtNode | undefined;
    for (const item of items) {
      if (prev && !alwaysBreak && this.sameLine(prev.span.end, nodeStart(item)))
        groups[groups.length - 1].push(item);
      else groups.push([item]);
      prev = item;
    }
    return groups;
  }

  /** Only commas (and comments without line breaks) between two statements. */
  private sameLine(from: number, to: number): boolean {
    let i = from;
    const text = this.src.text;
    while (i < to) {
      const c = text[i];
      if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0 || text.slice(i, end).includes('\n')) return false;
        i = end + 2;
      } else if (c === '\n' || c === '\r' || c === ';' || c === '/') return false;
      else i++;
    }
    return true;
  }

  /** Statements of one line joined by `, `, with the comments written among them. */
  private lineGroup(group: readonly FmtNode[], depth: number): Line[] {
    const attempt = this.joinGroup(group, depth, true);
    const tooWide = attempt.lines.some((l) => this.width(l) > this.options.printWidth);
    return tooWide && attempt.inlined ? this.joinGroup(group, depth, false).lines : attempt.lines;
  }

  private joinGroup(group: readonly FmtNode[], depth: number, inline: boolean): Printed {
    let lines: Line[] = [];
    let inlined = false;
    let eol: FmtComment[] = [];
    group.forEach((n, i) => {
      const p = this.node(n, depth, inline);
      inlined ||= p.inlined;
      const before = commentsOf(n)
        .filter((c) => c.leading && !this.endsLine(c))
        .map((c) => this.take(c));
      const mine = before.length ? prefix(p.lines, `${before.join(' ')} `) : p.lines;
      const after = commentsOf(n).filter((c) => c.trailing && !this.onOwnLine(c, n));
      let withAfter = mine;
      if (i < group.length - 1) {
        const inlineAfter = after.map((c) => this.take(c));
        if (inlineAfter.length) withAfter = suffix(mine, ` ${inlineAfter.join(' ')}`);
      } else eol = after;
      lines = i === 0 ? withAfter : join(lines, ', ', withAfter);
    });
    if (eol.length) lines = withEol(lines, this.endOfLine(eol));
    return { lines, inlined };
  }

  // ------------------------------------------------------------ nodes

  /** A node: its tokens, with its bodies (and the groups of its bindings) printed in place. */
  private node(n: FmtNode, depth: number, inline: boolean): Printed {
    const start = nodeStart(n);
    const end = n.span.end;
    const header = commentsOf(n).filter((c) => c.marker === 'header');
    const bodies = bodiesOf(this.src, n);
    const pairs = bodies.length ? bodies : bracePairs(this.src, start, end);
    let lines: Line[] = [];
    let inlined = false;
    let cursor = start;
    const addTokens = (to: number) => {
      const run = printTokens(this.src, cursor, to, header);
      if (run.length === 1 && run[0].text === '') return;
      const runLines = run.map((r) => ({ depth: r.cont ? depth + 2 : depth, text: r.text }));
      lines = lines.length ? join(lines, ' ', runLines) : runLines;
    };
    pairs.forEach((pair, k) => {
      addTokens(pair.open);
      let body: Printed;
      if (bodies.length) body = this.body(n, k, bodies[k], depth, inline);
      else {
        const group = this.src.groups.get(pair.open);
        if (!group) throw new Error(`no group at offset ${pair.open}`);
        body = this.node(group, depth, inline);
      }
      inlined ||= bodies.length > 0 && body.inlined;
      lines = lines.length ? join(lines, ' ', body.lines) : body.lines;
      cursor = pair.close + 1;
    });
    addTokens(end);
    return { lines, inlined };
  }

  /** `{ … }`: on one line when it was written so, has no comment and its statements fit one line. */
  private body(n: FmtNode, k: number, body: Body, depth: number, inline: boolean): Printed {
    const open = commentsOf(n).filter((c) => c.marker === `open:${k}`);
    const inside = commentsOf(n).filter((c) => c.marker === `body:${k}`);
    if (body.items.length === 0 && open.length === 0 && inside.length === 0)
      return { lines: [{ depth, text: '{}' }], inlined: false };
    const text = this.src.text;
    if (
      inline &&
      !body.alwaysBreak &&
      open.length === 0 &&
      !/[\n\r]/.test(text.slice(body.open, body.close)) &&
      !this.src.comments.some((c) => c.span.start > body.open && c.span.start < body.close)
    ) {
      const one = this.oneLine(body.items, depth);
      if (one !== undefined) return { lines: [{ depth, text: `{ ${one} }` }], inlined: true };
    }
    const lines: Line[] = [];
    lines.push(
      open.length ? { depth, text: '{', eol: this.endOfLine(open) } : { depth, text: '{' },
    );
    lines.push(...this.items(body.items, depth + 1, body.alwaysBreak));
    for (const c of inside) this.ownLine(lines, c, depth + 1, lines.length > 1);
    lines.push({ depth, text: '}' });
    return { lines, inlined: false };
  }

  /** The items of a body on one line (`a, b; c`), or undefined when one of them needs more. */
  private oneLine(items: readonly FmtNode[], depth: number): string | undefined {
    const groups: string[] = [];
    for (const group of this.lineGroups(items, false)) {
      const parts: string[] = [];
      for (const n of group) {
        const p = this.node(n, depth, true);
        if (p.lines.length !== 1) return undefined;
        parts.push(p.lines[0].text);
      }
      groups.push(parts.join(', '));
    }
    return groups.join('; ');
  }

  // ------------------------------------------------------------ comments

  private take(c: FmtComment): string {
    c.printed = true;
    return c.kind === 'LineComment' ? c.text.trimEnd() : c.text;
  }

  /** A comment on a line of its own; one written on the line of the comment before joins it. */
  private ownLine(out: Line[], c: FmtComment, depth: number, allowBlank = true): void {
    const last = out[out.length - 1];
    if (
      last?.after !== undefined &&
      !/[\n\r]/.test(this.src.text.slice(last.after, c.span.start))
    ) {
      out[out.length - 1] = {
        depth: last.depth,
        text: `${last.text} ${this.take(c)}`,
        after: c.span.end,
      };
      return;
    }
    if (allowBlank && out.length > 0 && this.blankBefore(c.span.start)) out.push(blank());
    out.push({ depth, text: this.take(c), after: c.span.end });
  }

  private endOfLine(comments: readonly FmtComment[]): EndOfLine {
    const start = comments[0].span.start;
    const lineStart = this.src.text.lastIndexOf('\n', start - 1) + 1;
    return { text: comments.map((c) => this.take(c)).join(' '), sourceCol: start - lineStart };
  }

  /** A line break follows the comment (before any token; other comments may come between). */
  private endsLine(c: FmtComment): boolean {
    if (c.kind === 'LineComment') return true;
    const rest = this.src.text.slice(c.span.end);
    const m = /^[ \t\f\v]*(?:\/\*[^\n]*?\*\/[ \t\f\v]*)*(?:\/\/[^\n]*)?([\r\n]|$)/.exec(rest);
    return m !== null;
  }

  /** A trailing comment written on a line below its statement. */
  private onOwnLine(c: FmtComment, n: FmtNode): boolean {
    return /[\n\r]/.test(this.src.text.slice(n.span.end, c.span.start));
  }

  /** Where a line of statements starts: a comment written before it on its line, or itself. */
  private lineStart(first: FmtNode): number {
    const before = commentsOf(first).find((c) => c.leading && !this.endsLine(c));
    return before ? before.span.start : nodeStart(first);
  }

  /** The source has an empty line just before `offset`. */
  private blankBefore(offset: number): boolean {
    const text = this.src.text;
    let i = offset - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    if (i >= 0 && text[i] === '\n') i--;
    else return false;
    if (i >= 0 && text[i] === '\r') i--;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    return i >= 0 && text[i] === '\n';
  }

  private width(l: Line): number {
    return l.depth * this.options.indent + l.text.length;
  }
}

function blank(): Line {
  return { depth: 0, text: '' };
}

/** `a` then `b`, the last line of `a` continued by `sep` and the first line of `b`. */
function join(a: readonly Line[], sep: string, b: readonly Line[]): Line[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const last = a[a.length - 1];
  const merged: Line = { ...b[0], depth: last.depth, text: last.text + sep + b[0].text };
  return [...a.slice(0, -1), merged, ...b.slice(1)];
}

function prefix(lines: readonly Line[], text: string): Line[] {
  return [{ ...lines[0], text: text + lines[0].text }, ...lines.slice(1)];
}

function suffix(lines: readonly Line[], text: string): Line[] {
  const last = lines[lines.length - 1];
  return [...lines.slice(0, -1), { ...last, text: last.text + text }];
}

function withEol(lines: readonly Line[], eol: EndOfLine): Line[] {
  const last = lines[lines.length - 1];
  return [...lines.slice(0, -1), { ...last, eol }];
}
