/**
 * `cnnc weights plan MODEL.cnn --from FILE [--map torchvision] [--allow-partial] [--json]`: which of
 * the model's weights a file provides, before anything loads. `cnnc weights convert MODEL.cnn --from
 * FILE --to OUT`: the same, then writes the loaded weights under cnnc's names and layouts (a
 * .safetensors file or a TensorFlow.js folder).
 */
import * as path from 'node:path';
import { DataError } from '../../runtime/data/dataset.js';
import { BackendUnavailable } from '../../runtime/tfjs/backend.js';
import { writeWeightsFile } from '../../runtime/weights/files.js';
import {
  prepareWeights,
  WEIGHT_MAPS,
  type PreparedWeights,
  type WeightMap,
} from '../../runtime/weights/load.js';
import { planProblems, tensorsToLoad, type PlanEntry } from '../../runtime/weights/plan.js';
import { shapeText, WeightsError } from '../../runtime/weights/tensor.js';
import type { Graph } from '../ir/graph.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { compileSingle, IMPORT_FLAGS, IMPORT_HELP_LINE } from './common.js';
import type { ExitCode, Io } from './io.js';

export const WEIGHTS_HELP = `usage: cnnc weights plan MODEL.cnn --from FILE [options]
       cnnc weights convert MODEL.cnn --from FILE --to OUT [options]

plan: prints, for every weight of the model, whether FILE provides it: loaded, shape mismatch
(both shapes), missing from the file (keeps its initial value), and every tensor of the file
that no weight takes (unused). Exits 1 on a shape mismatch unless --allow-partial, and always
when a frozen layer would keep its initial value.
convert: the same check, then writes the loaded weights under cnnc's names and layouts to OUT,
a .safetensors file or else a folder with a TensorFlow.js model.json and shards.

FILE is a cnnc checkpoint folder, a TensorFlow.js model.json (or its folder) or a .safetensors file.

options:
  --from FILE        the weights (required)
  --map M            none (default: the file has cnnc's names and layouts) or torchvision
                     (a torchvision state dict of ResNet, VGG, AlexNet or MobileNetV2)
  --allow-partial    accept shape mismatches (those weights keep their initial values)
  --model NAME       the model, when the file defines several
  --json             plan: print one JSON object
  ${IMPORT_HELP_LINE}`;

export const WEIGHT_FLAGS = {
  map: { value: true },
  'allow-partial': { value: false },
  model: { value: true },
  ...IMPORT_FLAGS,
} as const;

export function weightMapFlag(args: ParsedArgs): WeightMap {
  const map = args.flags.get('map')?.[0] ?? 'none';
  const found = WEIGHT_MAPS.find((m) => m === map);
  if (!found)
    throw new UsageError(
      `--map must be one of ${WEIGHT_MAPS.join(', ')}; got ${JSON.stringify(map)}`,
    );
  return found;
}

/** Compiles the one model FILE defines (or --model picks); an exit code when it cannot. */
export function compileOne(file: string, args: ParsedArgs, io: Io): Graph | ExitCode {
  const compiled = compileSingle(file, args, io);
  return typeof compiled === 'number' ? compiled : compiled.model.graph;
}

const LABEL: Readonly<Record<PlanEntry['status'], string>> = {
  loaded: 'loaded',
  mismatch: 'mismatch',
  missing: 'missing',
  unused: 'unused',
};

/** The shape column of a plan line: one shape, or both for a mismatch. */
function shapes(e: PlanEntry): string {
  switch (e.status) {
    case 'loaded':
    case 'missing':
      return shapeText(e.modelShape ?? []);
    case 'mismatch':
      return `model ${shapeText(e.modelShape ?? [])}, file ${shapeText(e.fileShape ?? [])}`;
    case 'unused':
      return shapeText(e.fileShape ?? []);
  }
}

function note(e: PlanEntry): string {
  if (e.status === 'missing') return `re-initialised${e.frozen ? ' (FROZEN)' : ''}`;
  return e.source && e.source !== e.name ? `← ${e.source}` : '';
}

/** The plan as text: a header, one line per tensor, then the counts. */
export function renderPlan(graph: Graph, w: PreparedWeights, cwd: string): string {
  const file = path.relative(cwd, w.file) || w.file;
  const mapping =
    w.map === 'torchvision' ? `; torchvision names: ${w.family ?? 'no table matched'}` : '';
  const lines = [`${graph.model} ← ${file} (${w.format}${mapping})`];
  const nameWidth = w.plan.entries.reduce((m, e) => Math.max(m, e.name.length), 0);
  const shapeWidth = w.plan.entries.reduce((m, e) => Math.max(m, shapes(e).length), 0);
  for (const e of w.plan.entries) {
    const cells = [
      LABEL[e.status].padEnd(8),
      e.name.padEnd(nameWidth),
      shapes(e).padEnd(shapeWidth),
    ];
    lines.push(`  ${[...cells, note(e)].join('  ')}`.trimEnd());
  }
  const c = w.plan.counts;
  const ignored = w.plan.ignored.length
    ? ` · ${w.plan.ignored.length} ignored (num_batches_tracked)`
    : '';
  lines.push(
    `${c.loaded} loaded · ${c.mismatch} shape mismatch${c.mismatch === 1 ? '' : 'es'} · ` +
      `${c.missing} missing (re-initialised) · ${c.unused} unused${ignored}`,
  );
  return `${lines.join('\n')}\n`;
}

export function planJson(graph: Graph, w: PreparedWeights) {
  return {
    model: graph.model,
    file: w.file,
    format: w.format,
    map: w.map,
    family: w.family,
    counts: w.plan.counts,
    ignored: w.plan.ignored,
    entries: w.plan.entries,
    problems: [] as string[],
  };
}

/** Runs a weights command, turning file, data and backend problems into a message and exit 1. */
export function weightsGuard<T extends ExitCode | Promise<ExitCode>>(io: Io, f: () => T): T {
  const report = (e: unknown): ExitCode => {
    if (e instanceof WeightsError || e instanceof DataError || e instanceof BackendUnavailable) {
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  };
  try {
    const r = f();
    return (r instanceof Promise ? r.catch(report) : r) as T;
  } catch (e) {
    return report(e) as T;
  }
}

export function runWeights(argv: readonly string[], io: Io): ExitCode {
  const [sub, ...rest] = argv;
  if (sub !== 'plan' && sub !== 'convert')
    throw new UsageError(
      sub === undefined
        ? 'expected a subcommand: plan or convert'
        : `unknown subcommand ${JSON.stringify(sub)} (plan or convert)`,
    );
  return weightsGuard(io, () => {
    const args = parseArgs(rest, {
      ...WEIGHT_FLAGS,
      from: { value: true },
      to: { value: true },
      json: { value: false },
    });
    if (args.positional.length !== 1) throw new UsageError('expected exactly one .cnn file');
    const from = args.flags.get('from')?.[0];
    if (!from) throw new UsageError('--from FILE is required');
    const to = args.flags.get('to')?.[0];
    if (sub === 'convert' && !to) throw new UsageError('--to OUT is required');
    if (sub === 'plan' && to) throw new UsageError('--to is for cnnc weights convert');
    const graph = compileOne(args.positional[0], args, io);
    if (typeof graph === 'number') return graph;
    const w = prepareWeights(graph, path.resolve(io.cwd, from), weightMapFlag(args));
    const problems = planProblems(w.plan, { allowPartial: args.flags.has('allow-partial') });
    if (args.flags.has('json')) {
      io.out(`${JSON.stringify({ ...planJson(graph, w), problems }, null, 2)}\n`);
    } else if (sub === 'plan' || problems.length) {
      io.out(renderPlan(graph, w, io.cwd));
    }
    for (const p of problems) io.err(`cnnc: error: ${p}\n`);
    if (problems.length) return 1;
    if (sub === 'convert') {
      const tensors = tensorsToLoad(w.plan, w.sources);
      const target = path.resolve(io.cwd, to!);
      const format = writeWeightsFile(target, tensors, { model: graph.model, generatedBy: 'cnnc' });
      if (!args.flags.has('json'))
        io.out(`${to}: ${tensors.length} tensors of ${graph.model} (${format})\n`);
    }
    return 0;
  });
}
