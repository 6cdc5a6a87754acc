/**
 * Notes that say which block call a diagnostic inside a block body came through: "in the call
 * `stage(32, 1, 2)` at line 8", one per call level, innermost first. With a block called 58 times,
 * the body's line alone does not say which call failed.
 */
import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';

/** The longest call text quoted in a note; longer calls are cut with `…`. */
const MAX_CALL_TEXT = 60;

/** "in the call `stage(32, 1, 2)` at line 8" (`of FILE` added when the call is in another file). */
export function callNote(site: Span, text: string, diagnosticFile?: string): string {
  let call = text.slice(site.start, site.end).replace(/\s+/g, ' ').trim();
  if (call.length > MAX_CALL_TEXT) call = `${call.slice(0, MAX_CALL_TEXT - 1)}…`;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < site.start; i = text.indexOf('\n', i + 1)) line++;
  const where =
    diagnosticFile !== undefined && diagnosticFile !== site.file ? ` of ${site.file}` : '';
  return `in the call \`${call}\` at line ${line}${where}`;
}

/** `d` with one note per call site (innermost first), unless it already has them. */
export function withCallNotes(
  d: Diagnostic,
  sites: readonly Span[],
  textOf: (file: string) => string | undefined,
): Diagnostic {
  const notes: string[] = [];
  for (let i = sites.length - 1; i >= 0; i--) {
    const site = sites[i];
    // A diagnostic about the call itself (its arguments) needs no note for it.
    if (d.span && d.span.file === site.file && d.span.start >= site.start && d.span.end <= site.end)
      continue;
    const text = textOf(site.file);
    if (text !== undefined) notes.push(callNote(site, text, d.span?.file));
  }
  if (notes.length === 0 || notes.every((n) => d.notes.includes(n))) return d;
  return { ...d, notes: [...d.notes, ...notes.filter((n) => !d.notes.includes(n))] };
}

/** The call sites of the node a pass's diagnostic is about, where the pass said (see noteCallSites). */
const sitesOf = new WeakMap<Diagnostic, readonly Span[]>();

/** Remember that `d` is about a node that came through `sites` (a node's callSites); returns `d`. */
export function noteCallSites(d: Diagnostic, sites: readonly Span[] | undefined): Diagnostic {
  if (sites?.length) sitesOf.set(d, sites);
  return d;
}

export function callSitesOf(d: Diagnostic): readonly Span[] | undefined {
  return sitesOf.get(d);
}
