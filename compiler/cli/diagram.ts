/** `cnnc diagram FILE [--model NAME] -o OUT.svg|OUT.html [--expand all|none|SCOPE]...` */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { collapsedFor, MAX_BOXES } from '../diagram/expand.js';
import { diagramModel } from '../diagram/model.js';
import { engine, renderHtml, renderSvg } from '../diagram/render.js';
import { parseArgs, UsageError } from './args.js';
import { compileSingle, IMPORT_FLAGS, IMPORT_HELP_LINE } from './common.js';
import type { ExitCode, Io } from './io.js';

export const DIAGRAM_HELP = `usage: cnnc diagram FILE -o OUT.svg|OUT.html [options]

Draws a model: one box per layer with its op, kernel and stride and output shape, the edges of
residual additions (dashed) and concat branches, frozen layers greyed, and the scopes of the
names (stem, stages, blocks, branches) as nested frames. The .html is one self-contained page
(no network): click a scope to collapse or expand it, hover a box for parameters, MACs and
receptive field.

options:
  -o, --out FILE       the diagram to write (atomically): .svg or .html
  --model NAME         the model to draw when the file defines several
  --expand WHAT        all, none, or a scope such as stage3 (repeatable). By default a model of
                       more than ${MAX_BOXES} layers opens its scopes level by level while it fits in
                       ${MAX_BOXES} boxes and collapses the rest (ResNet-152 shows its stages).
  ${IMPORT_HELP_LINE}

exit status: 0 written, 1 the model has errors, 2 usage or internal error`;

export function runDiagram(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    model: { value: true },
    o: { value: true },
    out: { value: true },
    expand: { value: true, repeatable: true },
    ...IMPORT_FLAGS,
  });
  if (args.positional.length !== 1)
    throw new UsageError('cnnc diagram takes exactly one .cnn file');
  const out = args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0];
  if (out === undefined) throw new UsageError('cnnc diagram needs -o OUT.svg or -o OUT.html');
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.svg' && ext !== '.html' && ext !== '.htm')
    throw new UsageError(`-o must name a .svg or .html file; got ${JSON.stringify(out)}`);

  const single = compileSingle(args.positional[0], args, io);
  if (typeof single === 'number') return single;
  const compiled = single.model;
  if (!compiled.summary) return 0;
  const model = diagramModel({ ...compiled, summary: compiled.summary }, single.sources);
  const chosen = collapsedFor(engine, model, args.flags.get('expand') ?? []);
  if (!chosen.ok) {
    const scopes = model.scopes.filter((s) => s.depth === 1).map((s) => s.path);
    throw new UsageError(
      `--expand: no scope ${JSON.stringify(chosen.unknown)} in ${model.model}; ${
        chosen.suggestion
          ? `did you mean ${JSON.stringify(chosen.suggestion)}?`
          : scopes.length
            ? `its top-level scopes: ${scopes.join(', ')}`
            : 'it has no scopes'
      }`,
    );
  }
  const text =
    ext === '.svg'
      ? renderSvg(model, chosen.collapsed)
      : renderHtml(model, chosen.collapsed, dagreBrowserBuild());
  io.writeFile(path.resolve(io.cwd, out), text);
  io.err(`wrote ${out}\n`);
  return 0;
}

/** dagre's browser build (a global `dagre`) with its licence, for the HTML page. */
function dagreBrowserBuild(): string {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist');
  const code = fs.readFileSync(path.join(dir, 'dagre.min.js'), 'utf8');
  const licence = fs.readFileSync(path.join(dir, 'dagre.min.js.LEGAL.txt'), 'utf8');
  return `${licence.trim()}\n${code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '').trimEnd()}`;
}
