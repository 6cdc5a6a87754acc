/** Shared by the formatter tests: what a compiled file means, with every source position left out. */
import { compileFile } from '../../compiler/program.js';
import { irToJson } from '../../compiler/ir/json.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';

/** A deep copy without spans and source positions (`span*`, `*Span`, `callSites`, `source`). */
export function withoutSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutSpans);
  if (typeof x !== 'object' || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k.startsWith('span') || k.endsWith('Span') || k === 'callSites' || k === 'source') continue;
    out[k] = withoutSpans(v);
  }
  return out;
}

/**
 * The meaning of `text` compiled as `name` (other files of `files` beside it, the real stdlib): each
 * model's IR and summary without spans, and the codes of the diagnostics.
 */
export function meaning(name: string, text: string, files: Record<string, string> = {}): unknown {
  const r = compileFile(memPath(name), memoryHost({ ...files, [name]: text }));
  return {
    models: r.models.map((m) => ({
      ir: withoutSpans(irToJson(m.graph)),
      summary: withoutSpans(m.summary),
    })),
    diagnostics: r.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`),
  };
}
