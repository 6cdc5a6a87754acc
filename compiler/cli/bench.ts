/**
 * `cnnc bench FILE`: training and inference speed of a model on synthetic data. It compiles and
 * lowers the model like `cnnc train` (train-session.ts), then runs the runtime's own training loop
 * (runtime/train/loop.ts `fit`, with its optimiser and loss) on seeded random images and labels:
 * warm-up steps untimed, then --steps timed steps; then --steps batches of inference
 * (the engine's forward pass, training = false), after as many untimed ones.
 *
 * The default warm-up runs until V8 has optimised the step's JavaScript, so that the figure is the
 * one a training run settles at: up to WARMUP.steps steps or WARMUP.seconds, at least
 * WARMUP.atLeast (a data-parallel engine makes V8 finish compiling from step 300 on, tier-up.ts).
 * Three warm-up steps, the old default, timed the compiling: LeNet-5 on 2 threads measured 5,780
 * training images/s that way against 13,800 warm.
 *
 * --repeat N times the steps and the batches N times over and reports the best run of each (the
 * machine may be shared). SGD with momentum 0.9 and lr 0.01, whatever the train block says.
 */
import { makeDataset, rng, type Dataset } from '../../runtime/data/dataset.js';
import type { TrainSettings } from '../../runtime/train/config.js';
import type { Engine } from '../../runtime/train/engine.js';
import { fit } from '../../runtime/train/loop.js';
import { DEFAULT_OPTIMIZER } from '../../runtime/train/optimizer-config.js';
import { DEFAULT_SCHEDULE } from '../../runtime/train/schedules.js';
import { parseArgs, parsePositiveInt, parseThreads, UsageError } from './args.js';
import { defaultThreads } from '../../runtime/engines.js';
import type { ExitCode, Io } from './io.js';
import { IMPORT_FLAGS, IMPORT_HELP_LINE } from './common.js';
import { openSession, runGuarded } from './train-session.js';

export const BENCH_HELP = `usage: cnnc bench FILE [options]

Times training and inference of a model on synthetic data (seeded random images of the model's
input shape and random labels) and prints images per second. Training uses SGD with momentum 0.9
and lr 0.01 through the same loop, optimiser and loss as cnnc train.

options:
  --model NAME        the model to time (when the file defines several)
  --backend B         wasm (default), cpu, tensorflow (needs @tensorflow/tfjs-node) or reference
  --threads N         threads to train and infer on (default: every core, os.availableParallelism())
  --batch N           batch size (default 64)
  --steps N           timed training steps, and timed inference batches (default 20)
  --warmup N          untimed training steps and inference batches first (default: until 700
                      steps or 10 s, at least 3, so that the JavaScript engine has compiled them)
  --repeat N          time the steps and the batches N times and report the best (default 1)
  --json              print one JSON object instead of text
  ${IMPORT_HELP_LINE}`;

export function runBench(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, () => bench(argv, io));
}

function count(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (min > 0) return parsePositiveInt(flag, text);
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new UsageError(`--${flag} expects 0 or a positive integer; got ${JSON.stringify(text)}`);
  return n;
}

/** `batch · steps` seeded random images in [0, 1) of shape [H, W, C] and labels in [0, classes). */
function synthetic(
  shape: readonly [number, number, number],
  n: number,
  classes: number,
  seed: number,
): Dataset {
  const random = rng(seed);
  const images = new Float32Array(n * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < images.length; i++) images[i] = random();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.floor(random() * classes);
  return makeDataset('synthetic', images, labels, shape, classes);
}

async function bench(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, {
    model: { value: true },
    backend: { value: true },
    threads: { value: true },
    batch: { value: true },
    steps: { value: true },
    warmup: { value: true },
    repeat: { value: true },
    json: { value: false },
    ...IMPORT_FLAGS,
  });
  const batch = count('batch', args.flags.get('batch')?.[0], 64, 1);
  const steps = count('steps', args.flags.get('steps')?.[0], 20, 1);
  const warmupFlag = args.flags.get('warmup')?.[0];
  const given = warmupFlag === undefined ? null : count('warmup', warmupFlag, 0, 0);
  const repeat = count('repeat', args.flags.get('repeat')?.[0], 1, 1);
  const json = args.flags.has('json');
  const session = await openSession(args, io, [], (s) => ({
    ...s,
    optimizer: { ...DEFAULT_OPTIMIZER, name: 'momentum', momentum: 0.9 },
    lr: 0.01,
    epochs: 1,
    batchSize: batch,
    schedule: DEFAULT_SCHEDULE,
    clipNorm: null,
    earlyStopping: null,
  }));
  if (typeof session === 'number') return session;
  const { graph, engine, backend } = session;
  try {
    if (engine.inputShape.length !== 3 || engine.inputShape.some((d) => d <= 0)) {
      throw new UsageError(
        `${graph.model}'s input ${engine.inputShape.join('x')} is not a fixed HxWxC image; bench needs one`,
      );
    }
    const shape = engine.inputShape as unknown as readonly [number, number, number];
    const outShape = graph.nodes[graph.outputs[0]]?.shape ?? [];
    const last = outShape[outShape.length - 1];
    const units = typeof last === 'number' && last > 0 ? last : 1;
    const classes = Math.max(2, units);
    const settings: TrainSettings = {
      ...session.settings,
      loss: units === 1 ? 'binary' : 'categorical',
    };
    const noStops = { validation: null };
    const warmup = await warmUp(given, (n) =>
      fit(engine, synthetic(shape, batch * n, classes, 1), settings, noStops),
    );
    let timed = await fit(engine, synthetic(shape, batch * steps, classes, 2), settings, noStops);
    for (let r = 1; r < repeat; r++) {
      const again = await fit(
        engine,
        synthetic(shape, batch * steps, classes, 2 + r),
        settings,
        noStops,
      );
      if (again.imagesPerSecond > timed.imagesPerSecond) timed = again;
    }
    const trainIps = timed.imagesPerSecond;
    let inferIps = 0;
    for (let r = 0; r < repeat; r++)
      inferIps = Math.max(
        inferIps,
        await inference(engine, shape, batch, steps, r === 0 ? warmup : 0),
      );
    const result = {
      model: graph.model,
      file: graph.file,
      backend: backend.name,
      backendDetail: backend.detail,
      threads: parseThreads(args, defaultThreads()),
      batch,
      steps,
      warmup,
      repeat,
      train: {
        imagesPerSecond: trainIps,
        secondsPerStep: timed.seconds / steps,
        loss: timed.epochs[0]?.train.loss ?? null,
      },
      infer: { imagesPerSecond: inferIps, secondsPerBatch: batch / inferIps },
    };
    if (json) {
      io.out(`${JSON.stringify(result)}\n`);
    } else {
      const f = (x: number) => Math.round(x).toLocaleString('en-US');
      io.out(
        `${session.headline}\n` +
          `synthetic data, batch ${batch}, ${steps} timed steps after ${warmup} warm-up` +
          `${repeat > 1 ? `, best of ${repeat}` : ''} · SGD momentum 0.9, lr 0.01\n` +
          `train  ${f(trainIps).padStart(9)} images/s  (${(result.train.secondsPerStep * 1000).toFixed(1)} ms/step)\n` +
          `infer  ${f(inferIps).padStart(9)} images/s  (${(result.infer.secondsPerBatch * 1000).toFixed(1)} ms/batch)\n`,
      );
    }
    return 0;
  } finally {
    engine.dispose();
  }
}

/** The default warm-up (module comment). */
export const WARMUP = { steps: 700, seconds: 10, atLeast: 3, chunk: 25 } as const;

/**
 * Runs the warm-up: `given` steps, or by default chunks of WARMUP.chunk steps until WARMUP.steps
 * or WARMUP.seconds (at least WARMUP.atLeast). The number of steps it ran.
 */
export async function warmUp(
  given: number | null,
  run: (steps: number) => Promise<unknown>,
  now: () => number = () => performance.now() / 1000,
): Promise<number> {
  if (given !== null) {
    if (given > 0) await run(given);
    return given;
  }
  const t0 = now();
  let done = 0;
  while (done < WARMUP.steps && (done < WARMUP.atLeast || now() - t0 < WARMUP.seconds)) {
    const n = done === 0 ? WARMUP.atLeast : Math.min(WARMUP.chunk, WARMUP.steps - done);
    await run(n);
    done += n;
  }
  return done;
}

/** Images per second of the engine's inference-mode forward pass over `steps` batches, after `warmup` untimed ones. */
async function inference(
  engine: Engine,
  shape: readonly [number, number, number],
  batch: number,
  steps: number,
  warmup: number,
): Promise<number> {
  const data = synthetic(shape, batch, 2, 3);
  const x = { data: data.images, shape: [batch, ...shape] };
  for (let i = 0; i < warmup; i++) await engine.forward(x);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await engine.forward(x);
  const seconds = (performance.now() - t0) / 1000;
  return (batch * steps) / Math.max(1e-9, seconds);
}
