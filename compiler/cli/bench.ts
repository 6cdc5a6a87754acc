/**
 * `cnnc bench FILE`: training and inference speed of a model on synthetic data. It compiles and
 * lowers the model like `cnnc train` (train-session.ts), then runs the runtime's own training loop
 * (runtime/train/loop.ts `fit`, with its optimiser and loss) on seeded random images and labels:
 * --warmup steps untimed, then --steps timed steps; then --steps batches of inference
 * (apply, training = false). SGD with momentum 0.9 and lr 0.01, whatever the train block says.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { makeDataset, rng, type Dataset } from '../../runtime/data/dataset.js';
import { DEFAULT_SETTINGS, type TrainSettings } from '../../runtime/train/config.js';
import { fit } from '../../runtime/train/loop.js';
import { trainableNamed } from '../../runtime/train/model.js';
import { DEFAULT_OPTIMIZER, Optimizer } from '../../runtime/train/optimizers.js';
import { DEFAULT_SCHEDULE } from '../../runtime/train/schedules.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import type { ExitCode, Io } from './io.js';
import { openSession, runGuarded } from './train-session.js';

export const BENCH_HELP = `usage: cnnc bench FILE [options]

Times training and inference of a model on synthetic data (seeded random images of the model's
input shape and random labels) and prints images per second. Training uses SGD with momentum 0.9
and lr 0.01 through the same loop, optimiser and loss as cnnc train.

options:
  --model NAME        the model to time (when the file defines several)
  --backend B         wasm (default), cpu or tensorflow (needs @tensorflow/tfjs-node)
  --batch N           batch size (default 64)
  --steps N           timed training steps, and timed inference batches (default 20)
  --warmup N          untimed training steps and inference batches first (default 3)
  --json              print one JSON object instead of text`;

export function runBench(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, () => bench(argv, io));
}

function count(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (min === 0 && text.trim() === '0') return 0;
  return parsePositiveInt(flag, text);
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
    batch: { value: true },
    steps: { value: true },
    warmup: { value: true },
    json: { value: false },
  });
  const batch = count('batch', args.flags.get('batch')?.[0], 64, 1);
  const steps = count('steps', args.flags.get('steps')?.[0], 20, 1);
  const warmup = count('warmup', args.flags.get('warmup')?.[0], 3, 0);
  const json = args.flags.has('json');
  const session = await openSession(args, io, []);
  if (typeof session === 'number') return session;
  const { tf, graph, model, backend } = session;
  try {
    if (model.inputShape.length !== 3 || model.inputShape.some((d) => d <= 0)) {
      throw new UsageError(
        `${graph.model}'s input ${model.inputShape.join('x')} is not a fixed HxWxC image; bench needs one`,
      );
    }
    const shape = model.inputShape as unknown as readonly [number, number, number];
    const outShape = graph.nodes[graph.outputs[0]]?.shape ?? [];
    const last = outShape[outShape.length - 1];
    const units = typeof last === 'number' && last > 0 ? last : 1;
    const classes = Math.max(2, units);
    const settings: TrainSettings = {
      ...DEFAULT_SETTINGS,
      optimizer: { ...DEFAULT_OPTIMIZER, name: 'momentum', momentum: 0.9 },
      lr: 0.01,
      epochs: 1,
      batchSize: batch,
      schedule: DEFAULT_SCHEDULE,
      clipNorm: null,
      loss: units === 1 ? 'binary' : 'categorical',
      earlyStopping: null,
    };
    const optimizer = new Optimizer(tf, settings.optimizer, trainableNamed(model));
    try {
      const noStops = { validation: null };
      if (warmup > 0) {
        await fit(
          tf,
          model,
          synthetic(shape, batch * warmup, classes, 1),
          optimizer,
          settings,
          noStops,
        );
      }
      const timed = await fit(
        tf,
        model,
        synthetic(shape, batch * steps, classes, 2),
        optimizer,
        settings,
        noStops,
      );
      const trainIps = timed.imagesPerSecond;
      const inferIps = await inference(tf, model.apply.bind(model), shape, batch, steps, warmup);
      const result = {
        model: graph.model,
        file: graph.file,
        backend: backend.name,
        backendDetail: backend.detail,
        batch,
        steps,
        warmup,
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
            `synthetic data, batch ${batch}, ${steps} timed steps after ${warmup} warm-up · SGD momentum 0.9, lr 0.01\n` +
            `train  ${f(trainIps).padStart(9)} images/s  (${(result.train.secondsPerStep * 1000).toFixed(1)} ms/step)\n` +
            `infer  ${f(inferIps).padStart(9)} images/s  (${(result.infer.secondsPerBatch * 1000).toFixed(1)} ms/batch)\n`,
        );
      }
      return 0;
    } finally {
      optimizer.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** Images per second of `apply(x, false)` over `steps` batches, after `warmup` untimed ones. */
async function inference(
  tf: typeof tfjs,
  apply: (x: tfjs.Tensor, training: boolean) => tfjs.Tensor,
  shape: readonly [number, number, number],
  batch: number,
  steps: number,
  warmup: number,
): Promise<number> {
  const data = synthetic(shape, batch, 2, 3);
  const x = tf.tensor4d(data.images, [batch, ...shape]);
  try {
    const once = async () => {
      const y = tf.tidy(() => apply(x, false));
      await y.data();
      y.dispose();
    };
    for (let i = 0; i < warmup; i++) await once();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await once();
    const seconds = (performance.now() - t0) / 1000;
    return (batch * steps) / Math.max(1e-9, seconds);
  } finally {
    x.dispose();
  }
}
