/**
 * Data-parallel scaling of the wasm engine (runtime/tfjs/data-parallel.ts): training and inference
 * images/s of one model on 1, 2, … threads, measured back to back in one process. Every thread
 * count has its own engine, opened once; then `rounds` times, each engine in turn trains `steps`
 * batches and runs `steps` inference batches. The figure is the median of the rounds, so a burst of
 * load from other processes on a shared machine hits every thread count alike.
 *
 * A profiled round follows: per replica, the phases of a step (sharding the batch, forward and
 * backward with batch norm's all-reduces, the gradient all-reduce, the optimiser step) in wall
 * time, CPU time and time queued for a core (Linux schedstat, runtime/tfjs/step-profile.ts). From
 * CPU time the scaling of a quiet machine is predicted: a step cannot take less than its busiest
 * replica's CPU time, so quiet ≈ cpu(1 thread) / max over replicas cpu(N threads).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-threads.js [MODEL.cnn …] [--threads 1,2]
 *     [--rounds 5] [--steps 10] [--warmup 3] [--batch 64] [--json]
 *
 * Without files: examples/lenet5.cnn, yardstick.cnn and resnet18-cifar.cnn. `npm run bench` runs it
 * in a child process with --json.
 *
 * A detector (a model ending in a yolo head, e.g. examples/detection/shapes-detector.cnn) trains
 * as `cnnc train` trains it: trainStepOn with the yolo loss of seeded boxes, one per image. On
 * several threads that loss runs on the main thread on the gathered outputs
 * (runtime/tfjs/output-exchange.ts), inside replica 0's forwardBackward phase.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeHost, packageRoot } from '../compiler/cli/host.js';
import { compileFile } from '../compiler/program.js';
import { DEFAULT_OPTIMIZER } from '../compiler/train/optimizers.js';
import type { Graph } from '../compiler/ir/graph.js';
import { yoloHeadsOf } from '../compiler/ir/yolo-heads.js';
import { detectionLoss } from '../runtime/detection/yolo.js';
import { openEngine } from '../runtime/engines.js';
import { seededRandom } from '../runtime/init.js';
import {
  isProfiled,
  STEP_PHASES,
  type ReplicaProfile,
  type StepPhase,
} from '../runtime/tfjs/step-profile.js';
import type { Engine, Images } from '../runtime/train/engine.js';

export interface ThreadFigures {
  readonly threads: number;
  readonly detail: string;
  /** Median images/s over the rounds, and every round's. */
  readonly train: number;
  readonly trainRounds: readonly number[];
  readonly infer: number;
  readonly inferRounds: readonly number[];
  /** Per replica, ms per step of each phase (wall, CPU, queued), from the profiled round. */
  readonly profile: readonly ReplicaProfile[];
  /** Largest CPU ms per step of one replica in the profiled round (NaN without schedstat). */
  readonly busiestCpuMsPerStep: number;
}

export interface ModelFigures {
  readonly model: string;
  readonly file: string;
  readonly batch: number;
  readonly steps: number;
  readonly rounds: number;
  /** os.loadavg() before and after: the machine's load while measuring. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly figures: readonly ThreadFigures[];
}

export interface ThreadBenchOptions {
  readonly threads: readonly number[];
  readonly rounds: number;
  readonly steps: number;
  readonly warmup: number;
  readonly batch: number;
}

export const DEFAULT_MODELS = ['lenet5.cnn', 'yardstick.cnn', 'resnet18-cifar.cnn'];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Seeded images in [0, 1) and labels in [0, classes). */
function syntheticBatch(shape: readonly number[], batch: number, classes: number) {
  const random = seededRandom(7);
  const per = shape.reduce((a, b) => a * b, 1);
  const x: Images = {
    data: Float32Array.from({ length: batch * per }, () => random()),
    shape: [batch, ...shape],
  };
  const y = Int32Array.from({ length: batch }, () => Math.floor(random() * classes));
  return { x, y };
}

/** A training step of `engine` on the batch: trainStep, or a detector's yolo-loss step. */
function trainStepOf(
  graph: Graph,
  x: Images,
  y: Int32Array,
): (e: Engine) => () => Promise<unknown> {
  const heads = yoloHeadsOf(graph);
  if (!heads) return (e) => () => e.trainStep(x, y, 0.01);
  const head = heads[0];
  const random = seededRandom(11);
  const [H, W] = head.image;
  const truths = Array.from({ length: x.shape[0] }, () => {
    const [w, h] = [W * (0.15 + 0.3 * random()), H * (0.15 + 0.3 * random())];
    const box = [(W - w) * random(), (H - h) * random(), w, h] as const;
    return [{ box, label: Math.floor(random() * head.classes) }];
  });
  const weights = { lambdaCoord: 5, lambdaNoobj: 0.5 };
  const loss = (outs: readonly Images[]) =>
    detectionLoss(
      heads,
      outs.map((o) => o.data),
      x.shape[0],
      truths,
      weights,
    );
  return (e) => () => e.trainStepOn!(x, loss, 0.01);
}

/**
 * Images/s of `steps` timed steps after one untimed one: an engine's turn comes after the other
 * engines' turns, and its first step pays for waking its sleeping worker threads and refilling the
 * caches, which a training run pays once, not every `steps` steps.
 */
async function imagesPerSecond(batch: number, steps: number, step: () => Promise<unknown>) {
  await step();
  const t = performance.now();
  for (let i = 0; i < steps; i++) await step();
  return (batch * steps) / ((performance.now() - t) / 1000);
}

/** Per-step averages of a profile. */
function perStep(p: ReplicaProfile): ReplicaProfile {
  const n = Math.max(1, p.steps);
  const phases = Object.fromEntries(
    STEP_PHASES.map((k) => {
      const t = p.phases[k];
      return [k, { wallMs: t.wallMs / n, cpuMs: t.cpuMs / n, queuedMs: t.queuedMs / n }];
    }),
  ) as Record<StepPhase, { wallMs: number; cpuMs: number; queuedMs: number }>;
  return { ...p, phases, barrierMs: p.barrierMs / n, barriers: p.barriers / n };
}

export async function benchThreads(
  file: string,
  options: ThreadBenchOptions,
): Promise<ModelFigures> {
  const result = compileFile(file, nodeHost());
  const model = result.models[0];
  if (!model) throw new Error(`${file}: no model`);
  const { graph } = model;
  const shape = (graph.nodes.find((n) => n.op === 'input')?.shape ?? []).map(Number);
  const last = graph.nodes[graph.nodes.length - 1].shape ?? [];
  const classes = Math.max(2, Number(last[last.length - 1]));
  const { batch, steps, rounds, warmup } = options;
  const { x, y } = syntheticBatch(shape, batch, classes);
  const loadBefore = os.loadavg();
  const engines: { threads: number; engine: Engine; detail: string }[] = [];
  try {
    for (const threads of options.threads) {
      const opened = await openEngine('wasm', graph, {
        loss: 'categorical',
        optimizer: { ...DEFAULT_OPTIMIZER, name: 'momentum', momentum: 0.9 },
        seed: 1,
        threads,
      });
      if (!opened.engine) throw new Error(`${file}: the wasm backend cannot run it`);
      engines.push({ threads, engine: opened.engine, detail: opened.detail });
    }
    const train = trainStepOf(graph, x, y);
    const infer = (e: Engine) => () => e.forward(x);
    for (const { engine } of engines) {
      await imagesPerSecond(batch, warmup, train(engine));
      await imagesPerSecond(batch, warmup, infer(engine));
    }
    const trainRounds = engines.map((): number[] => []);
    const inferRounds = engines.map((): number[] => []);
    for (let r = 0; r < rounds; r++) {
      for (const [i, { engine }] of engines.entries())
        trainRounds[i].push(await imagesPerSecond(batch, steps, train(engine)));
      for (const [i, { engine }] of engines.entries())
        inferRounds[i].push(await imagesPerSecond(batch, steps, infer(engine)));
    }
    const profiles: ReplicaProfile[][] = [];
    for (const { engine } of engines) {
      if (!isProfiled(engine)) {
        profiles.push([]);
        continue;
      }
      engine.startProfile();
      await imagesPerSecond(batch, steps, train(engine));
      profiles.push((await engine.readProfile()).map(perStep));
    }
    const cpuOf = (p: ReplicaProfile) => STEP_PHASES.reduce((s, k) => s + p.phases[k].cpuMs, 0);
    return {
      model: graph.model,
      file: path.relative(packageRoot(), file),
      batch,
      steps,
      rounds,
      loadBefore,
      loadAfter: os.loadavg(),
      figures: engines.map(({ threads, detail }, i) => ({
        threads,
        detail,
        train: median(trainRounds[i]),
        trainRounds: trainRounds[i],
        infer: median(inferRounds[i]),
        inferRounds: inferRounds[i],
        profile: profiles[i],
        busiestCpuMsPerStep: profiles[i].length ? Math.max(...profiles[i].map(cpuOf)) : NaN,
      })),
    };
  } finally {
    for (const { engine } of engines) engine.dispose();
  }
}

/** The table `npm run bench` and this script print. */
export function formatThreads(m: ModelFigures): string {
  const out: string[] = [];
  const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' ');
  out.push(
    `${m.model} (${m.file}), batch ${m.batch}, median of ${m.rounds} rounds of ${m.steps} steps; load average ${load(m.loadBefore)} → ${load(m.loadAfter)}`,
  );
  const base = m.figures[0];
  const ips = (v: number) => `${Math.round(v).toLocaleString('en-US')}`.padStart(7);
  out.push(
    '  threads   train img/s  ×1 thread   infer img/s  ×1 thread   busiest replica CPU ms/step  quiet-machine ×1 (CPU-bound)',
  );
  for (const f of m.figures) {
    const quiet = base.busiestCpuMsPerStep / f.busiestCpuMsPerStep;
    out.push(
      `  ${String(f.threads).padStart(7)}   ${ips(f.train)}      ${(f.train / base.train).toFixed(2).padStart(5)}       ${ips(f.infer)}      ${(f.infer / base.infer).toFixed(2).padStart(5)}   ${f.busiestCpuMsPerStep.toFixed(1).padStart(27)}   ${Number.isFinite(quiet) ? quiet.toFixed(2).padStart(28) : 'n/a'.padStart(28)}`,
    );
  }
  out.push('  profile, ms per step: wall / CPU / queued for a core');
  for (const f of m.figures) {
    for (const p of f.profile) {
      const parts = STEP_PHASES.map((k) => {
        const t = p.phases[k];
        return `${k} ${t.wallMs.toFixed(1)}/${t.cpuMs.toFixed(1)}/${t.queuedMs.toFixed(1)}`;
      });
      out.push(
        `    ${f.threads} thread${f.threads > 1 ? 's' : ''}, replica ${p.rank}: ${parts.join(', ')}; barriers ${p.barriers.toFixed(1)} waiting ${p.barrierMs.toFixed(1)}`,
      );
    }
  }
  return out.join('\n');
}

function flag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const t = argv.indexOf('--threads');
  const options: ThreadBenchOptions = {
    threads: t >= 0 ? argv[t + 1].split(',').map(Number) : [1, 2],
    rounds: flag(argv, 'rounds', 5),
    steps: flag(argv, 'steps', 10),
    warmup: flag(argv, 'warmup', 3),
    batch: flag(argv, 'batch', 64),
  };
  const valued = new Set(['--threads', '--rounds', '--steps', '--warmup', '--batch']);
  const files = argv.filter((a, i) => a.endsWith('.cnn') && !valued.has(argv[i - 1]));
  const models = files.length
    ? files.map((f) => path.resolve(f))
    : DEFAULT_MODELS.map((f) => path.join(packageRoot(), 'examples', f));
  const json = argv.includes('--json');
  const all: ModelFigures[] = [];
  for (const file of models) {
    const m = await benchThreads(file, options);
    all.push(m);
    if (!json) console.log(`${formatThreads(m)}\n`);
  }
  if (json) console.log(JSON.stringify(all));
}
