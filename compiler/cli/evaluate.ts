/** `cnnc evaluate FILE --weights DIR|FILE`: test-set metrics of a checkpoint or weights file. */
import { loadCocoSplit } from '../../runtime/data/coco.js';
import { cocoSummaryText } from '../../runtime/detection/coco-eval.js';
import { yoloHeadsOf } from '../ir/yolo-heads.js';
import { detectorNms, evaluateDetector } from '../../runtime/detection/train.js';
import type { YoloHead } from '../../runtime/detection/yolo.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { confusionText, evalReport } from '../../runtime/train/progress.js';
import { namedOutputs } from '../sema/outputs.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import { IMPORT_HELP_LINE } from './common.js';
import type { ExitCode, Io } from './io.js';
import { loadWeightsArg } from './load-weights.js';
import { detectorData } from './train-detector.js';
import {
  evalSummary,
  loadData,
  openSession,
  runGuarded,
  SESSION_FLAGS,
  type Session,
} from './train-session.js';

export const EVALUATE_HELP = `usage: cnnc evaluate FILE --weights DIR|FILE [options]

Loads a checkpoint (DIR, or DIR/checkpoint as cnnc train and an emitted train.py write it) or a
weights file and prints loss, accuracy, top-k accuracy, per-class precision/recall/F1 and the
confusion matrix on the test set.

options:
  --weights DIR   the checkpoint, or a .safetensors file (cnnc's names) or TensorFlow.js
                  model.json (required)
  --model NAME    --backend B (wasm, cpu, tensorflow, reference)    --threads N (default: every core)
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
    // A detector (a model ending in a yolo head): COCO's numbers (docs/detection.md).
    const heads = yoloHeadsOf(session.graph);
    if (heads) {
      const limit = args.flags.get('limit')?.[0];
      const r = await evaluateDetection(
        session,
        heads,
        io.cwd,
        limit ? parsePositiveInt('limit', limit) : Infinity,
        batchSize,
      );
      io.out(
        args.flags.has('json')
          ? `${JSON.stringify({ model: session.graph.model, weights: loaded, data: session.settings.data, coco: r }, null, 2)}\n`
          : `${session.headline}\n${r.text}\n`,
      );
      session.engine.dispose();
      return 0;
    }
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

/** COCO evaluation of a detector on the test split of its `coco:DIR` data. */
async function evaluateDetection(
  session: Session,
  heads: readonly YoloHead[],
  cwd: string,
  limit: number,
  batchSize: number,
) {
  const dir = detectorData(session, cwd);
  const test = await loadCocoSplit(dir, 'test', session.engine.inputShape, limit);
  // NMS IoU, score threshold and max detections come from the train block (docs/detection.md).
  const nms = detectorNms(session.settings);
  const { stats } = await evaluateDetector(session.engine, heads, test, nms, batchSize);
  const perClass = stats.perClass.map((c, i) => ({ class: test.classNames[i], ...c }));
  const rows = perClass.map(
    (c) =>
      `  ${c.class.padEnd(12)} AP ${c.ap?.toFixed(3) ?? '–'}  AP50 ${c.ap50?.toFixed(3) ?? '–'}  recall ${c.recall?.toFixed(3) ?? '–'}`,
  );
  return {
    images: test.count,
    nms,
    map: stats.map,
    map50: stats.map50,
    map75: stats.map75,
    stats: stats.stats,
    perClass,
    text: `${test.count} test images\n${cocoSummaryText(stats)}\nper class:\n${rows.join('\n')}`,
  };
}
