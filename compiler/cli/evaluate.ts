/** `cnnc evaluate FILE --weights DIR|FILE`: test-set metrics of a checkpoint or weights file. */
import { evaluate } from '../../runtime/train/evaluate.js';
import { confusionText, evalReport } from '../../runtime/train/progress.js';
import { namedOutputs } from '../sema/outputs.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import { IMPORT_HELP_LINE } from './common.js';
import type { ExitCode, Io } from './io.js';
import { loadWeightsArg } from './load-weights.js';
import { evalSummary, loadData, openSession, runGuarded, SESSION_FLAGS } from './train-session.js';

export const EVALUATE_HELP = `usage: cnnc evaluate FILE --weights DIR|FILE [options]

Loads a checkpoint (DIR, or DIR/checkpoint as cnnc train and an emitted train.py write it) or a
weights file and prints loss, accuracy, top-k accuracy, per-class precision/recall/F1 and the
confusion matrix on the test set.

options:
  --weights DIR   the checkpoint, or a .safetensors file (cnnc's names) or TensorFlow.js
                  model.json (required)
  --model NAME    --backend B (wasm, cpu, tensorflow, reference)
  --data SRC      mnist (default), mnist-json, idx:DIR, cifar10:DIR, folder:DIR
  --limit N       only the first N test images
  --batch N       evaluation batch size (default 256)
  --json          print one JSON object instead
  ${IMPORT_HELP_LINE}`;

export function runEvaluate(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, async () => {
    const args = parseArgs(argv, {
      ...SESSION_FLAGS,
      weights: { value: true },
      limit: { value: true },
      batch: { value: true },
      json: { value: false },
    });
    const weights = args.flags.get('weights')?.[0];
    if (!weights) throw new UsageError('--weights DIR is required');
    const batch = args.flags.get('batch')?.[0];
    const batchSize = batch ? parsePositiveInt('batch', batch) : 256;
    const session = await openSession(args, io, ['data'], undefined, () => ({
      batch: batchSize,
      training: false,
    }));
    if (typeof session === 'number') return session;
    const loaded = loadWeightsArg(session, weights, io);
    const { test } = await loadData(session, ['test'], args, io.cwd);
    const r = await evaluate(session.engine, test!, {
      batchSize,
      topK: session.settings.topK,
      outputNames: namedOutputs(session.graph).map((o) => o.name),
    });
    if (args.flags.has('json')) {
      io.out(
        `${JSON.stringify({ model: session.graph.model, backend: session.backend.name, weights: loaded, data: session.settings.data, test: evalSummary(r) }, null, 2)}\n`,
      );
    } else {
      io.out(`${session.headline}\n${evalReport('test', r, true, test!.classNames)}\n`);
      io.out(`${confusionText(r.report.confusion)}\n`);
    }
    session.engine.dispose();
    return 0;
  });
}
