/**
 * `cnnc train DETECTOR.cnn --data coco:DIR`: a model whose outputs are yolo heads (one, or one per
 * scale) trains on COCO data with the yolo loss (runtime/detection/train.ts, the functions
 * examples/detection/train-shapes.ts uses), saves a checkpoint after every epoch in the run folder
 * as a classifier's run does, and prints COCO's numbers on the test split with the train block's
 * NMS settings (docs/detection.md). Pretrained weights (loaded by train.ts before), frozen layers,
 * per-group rates and `at epoch N unfreeze` phases work as for a classifier (runtime/fine-tune.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasCocoSplit, loadCocoSplit } from '../../runtime/data/coco.js';
import { DataError } from '../../runtime/data/dataset.js';
import { cocoFolder } from '../../runtime/data/sources.js';
import { cocoSummaryText } from '../../runtime/detection/coco-eval.js';
import {
  detectorFitConfig,
  detectorNms,
  evaluateDetector,
  fitDetector,
  type DetectorEpoch,
} from '../../runtime/detection/train.js';
import type { YoloHead } from '../../runtime/detection/yolo.js';
import {
  CheckpointError,
  irHash,
  loadCheckpoint,
  saveCheckpoint,
  sha256,
  writeLog,
  epochCheckpointMeta,
} from '../../runtime/train/checkpoint.js';
import { describeSettings } from '../../runtime/train/config.js';
import type { RunFolder } from '../../runtime/train/run-folder.js';
import { openPhase, phases } from '../../runtime/fine-tune.js';
import type { Engine } from '../../runtime/train/engine.js';
import type { OptimizerState } from '../../runtime/train/optimizer-config.js';
import { parsePositiveInt, type ParsedArgs } from './args.js';
import type { ExitCode, Io } from './io.js';
import { restoreWeights, type Session } from './train-session.js';

/** The `coco:DIR` folder of a detector's settings, or a data error naming what to pass. */
export function detectorData(session: Session, cwd: string): string {
  const dir = cocoFolder(session.settings.data, cwd);
  if (!dir)
    throw new DataError(
      `${session.graph.model} is a detector: give it COCO data with --data coco:DIR (cnnc data shapes writes some)`,
    );
  return dir;
}

export async function trainDetectorIn(
  run: RunFolder,
  session: Session,
  heads: readonly YoloHead[],
  args: ParsedArgs,
  io: Io,
  t0: number,
): Promise<ExitCode> {
  const { graph, settings, engine } = session;
  const quiet = args.flags.has('quiet');
  const dir = detectorData(session, io.cwd);
  // `features cache` was refused before the run folder opened (train.ts, CNN2125).
  const limitFlag = args.flags.get('limit')?.[0];
  const limit = limitFlag === undefined ? Infinity : parsePositiveInt('limit', limitFlag);
  const ckDir = run.checkpoint;
  let startEpoch = 0;
  let resumedOptimizer: OptimizerState | null = null;
  if (args.flags.has('resume') && fs.existsSync(path.join(ckDir, 'cnnc.json'))) {
    const ck = loadCheckpoint(ckDir);
    const warning = restoreWeights(session, ck, ckDir);
    if (warning) io.err(`cnnc: warning: ${warning}\n`);
    if (ck.optimizer && ck.optimizer.name === settings.optimizer.name) {
      try {
        resumedOptimizer = ck.optimizer;
        engine.setOptimizerState(ck.optimizer);
      } catch (e) {
        throw new CheckpointError(`${ckDir}: ${(e as Error).message}`);
      }
    }
    startEpoch = ck.meta.epoch;
    io.out(`resuming from ${path.relative(io.cwd, ckDir) || '.'} after epoch ${startEpoch}\n`);
  }
  const train = await loadCocoSplit(dir, 'train', engine.inputShape, limit);
  const test = hasCocoSplit(dir, 'test')
    ? await loadCocoSplit(dir, 'test', engine.inputShape, limit)
    : null;
  const boxes = (n: number) => n.toLocaleString('en-US');
  io.out(
    `${session.headline}\n` +
      `data: ${train.name}, ${boxes(train.count)} train` +
      (test ? `, ${boxes(test.count)} test` : '') +
      ` · ${describeSettings(settings)} · loss yolo (λ_coord ${settings.detection.lambdaCoord}, λ_noobj ${settings.detection.lambdaNoobj})\n`,
  );
  if (startEpoch === 0) writeLog(run.metrics, '', false);
  const sourceHash = sha256(session.source);
  const hash = irHash(graph);
  // The engine of the current phase: `at epoch N unfreeze` re-opens it as cnnc train does for a
  // classifier (runtime/fine-tune.ts), with the weights and optimiser state of the last one.
  let current: Engine = engine;
  let images = 0;
  let seconds = 0;
  const onEpoch = (e: DetectorEpoch) => {
    images += e.imagesPerSecond * e.seconds;
    seconds += e.seconds;
    if (!quiet)
      io.out(
        `epoch ${e.epoch}/${settings.epochs}: loss ${e.loss.toFixed(4)} · ${Math.round(e.imagesPerSecond)} img/s · ${e.seconds.toFixed(1)} s\n`,
      );
    const optimizer = current.optimizerState();
    const metrics = { train: { loss: e.loss } };
    const meta = epochCheckpointMeta({
      model: graph.model,
      sourceHash,
      irHash: hash,
      weights: current.weights,
      optimizer,
      optimizerConfig: settings.optimizer,
      epoch: e.epoch,
      globalStep: e.globalStep,
      metrics,
      classes: { names: train.classNames, categoryIds: train.categoryIds },
    });
    saveCheckpoint(ckDir, { meta, weights: current.readWeights(), optimizer });
    writeLog(
      run.metrics,
      `${JSON.stringify({ epoch: e.epoch, step: e.globalStep, lr: e.lr, seconds: e.seconds, imagesPerSecond: e.imagesPerSecond, ...metrics })}\n`,
      true,
    );
  };
  const config = detectorFitConfig(settings);
  for (const [i, phase] of phases(graph, settings).entries()) {
    if (phase.toEpoch <= startEpoch) continue;
    if (i > 0) {
      const previous = {
        engine: current,
        optimizer: current.optimizerState() ?? resumedOptimizer,
      };
      const next = await openPhase(
        session.backend.name,
        phase,
        settings,
        previous,
        [],
        session.backend.threads,
      );
      current.dispose();
      current = next.full;
    }
    const from = Math.max(startEpoch, phase.fromEpoch - 1);
    await fitDetector(current, heads, train, config, onEpoch, from, phase.toEpoch);
  }
  const result = test ? await evaluateDetector(current, heads, test, detectorNms(settings)) : null;
  if (result && test) {
    io.out(`test: ${boxes(test.count)} images\n${cocoSummaryText(result.stats)}\n`);
    if (!quiet)
      result.stats.perClass.forEach((c, i) =>
        io.out(
          `  ${test.classNames[i].padEnd(12)} AP ${c.ap?.toFixed(3) ?? '–'}  AP50 ${c.ap50?.toFixed(3) ?? '–'}  recall ${c.recall?.toFixed(3) ?? '–'}\n`,
        ),
      );
  }
  const wall = (performance.now() - t0) / 1000;
  const rate = seconds > 0 ? images / seconds : 0;
  io.out(
    `checkpoint: ${path.relative(io.cwd, ckDir)} · ${Math.round(rate).toLocaleString('en-US')} img/s · wall time ${wall.toFixed(1)} s\n`,
  );
  const report = args.flags.get('report')?.[0];
  if (report)
    io.writeFile(
      path.resolve(io.cwd, report),
      `${JSON.stringify(
        {
          model: graph.model,
          file: graph.file,
          backend: { name: session.backend.name, detail: session.backend.detail },
          data: settings.data,
          settings,
          epochs: settings.epochs,
          test: result && {
            images: test!.count,
            map: result.stats.map,
            map50: result.stats.map50,
            map75: result.stats.map75,
          },
          imagesPerSecond: rate,
          trainSeconds: seconds,
          wallSeconds: wall,
          checkpoint: path.relative(io.cwd, ckDir),
        },
        null,
        2,
      )}\n`,
    );
  current.dispose();
  return 0;
}
