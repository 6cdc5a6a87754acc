/**
 * Trains examples/detection/shapes-detector.cnn on the generated shapes set and writes
 * examples/detection/RESULTS.md with COCO's numbers on the test split:
 *
 *   npx tsc -p tsconfig.json && node dist/examples/detection/train-shapes.js [--train N] [--test M]
 *     [--epochs E] [--backend wasm|cpu|reference] [--minutes T]
 *
 * The set is rendered first (`cnnc data shapes`, seed 1) into a temporary folder unless --data DIR
 * names one. Training stops after E epochs or once T minutes (default 10) have passed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeHost, packageRoot } from '../../compiler/cli/host.js';
import { mainAsync } from '../../compiler/cli/main.js';
import { compileFile } from '../../compiler/program.js';
import { NO_AUGMENT } from '../../compiler/train/augment.js';
import { loadCocoSplit } from '../../runtime/data/coco.js';
import { cocoSummaryText } from '../../runtime/detection/coco-eval.js';
import { evaluateDetector, fitDetector, yoloHeadOf } from '../../runtime/detection/train.js';
import { openEngine, type EngineBackend } from '../../runtime/engines.js';

const ROOT = packageRoot();
const DIR = path.join(ROOT, 'examples', 'detection');

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const train = Number(flag('train', '8000'));
  const test = Number(flag('test', '1000'));
  const epochs = Number(flag('epochs', '30'));
  const minutes = Number(flag('minutes', '10'));
  const backend = flag('backend', 'wasm') as EngineBackend;
  let data = flag('data', '');
  if (!data) {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-shapes-'));
    const io = {
      cwd: ROOT,
      env: process.env,
      stdoutIsTTY: false,
      stderrIsTTY: false,
      host: nodeHost(ROOT),
      out: (t: string) => process.stdout.write(t),
      err: (t: string) => process.stderr.write(t),
      writeFile: (p: string, t: string) => fs.writeFileSync(p, t),
    };
    const args = ['data', 'shapes', '--out', data, '--train', `${train}`, '--test', `${test}`];
    if ((await mainAsync([...args, '--size', '96', '--seed', '1'], io)) !== 0)
      throw new Error('data shapes failed');
  }
  const compiled = compileFile(path.join(DIR, 'shapes-detector.cnn'), nodeHost(ROOT));
  const graph = compiled.models[0].graph;
  const head = yoloHeadOf(graph)!;
  const input = graph.nodes[0].shape as number[];
  const trainSet = await loadCocoSplit(data, 'train', input);
  const testSet = await loadCocoSplit(data, 'test', input);
  const opened = await openEngine(backend, graph, {
    loss: 'mse',
    optimizer: {
      ...{
        name: 'adam',
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        momentum: 0,
        rho: 0.9,
        weightDecay: 0,
      },
    },
    seed: 1,
  });
  const engine = opened.engine!;
  const t0 = performance.now();
  const lines: string[] = [];
  const deadline = t0 + minutes * 60_000;
  let done = 0;
  try {
    await fitDetector(
      engine,
      head,
      trainSet,
      {
        epochs,
        batchSize: 32,
        lr: (step, steps) => 1e-3 * 0.5 * (1 + Math.cos((Math.PI * step) / steps)),
        seed: 1,
        weights: { lambdaCoord: 5, lambdaNoobj: 0.5 },
        augment: { ...NO_AUGMENT, flipHorizontal: true, translate: 0.1, zoom: [0.85, 1.15] },
      },
      (epoch, loss, seconds) => {
        done = epoch;
        const line = `epoch ${epoch}: loss ${loss.toFixed(4)} (${seconds.toFixed(1)} s)`;
        console.log(line);
        lines.push(line);
        if (performance.now() > deadline) throw new Stop();
      },
    );
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const r = await evaluateDetector(engine, head, testSet, {
    iouThreshold: 0.5,
    scoreThreshold: 0.01,
    maxDetections: 100,
  });
  const summary = cocoSummaryText(r.stats);
  console.log(summary);
  const text = [
    '# Shapes detector: measured results',
    '',
    'Made by `node dist/examples/detection/train-shapes.js` (examples/detection/train-shapes.ts); do not edit.',
    '',
    `- data: \`cnnc data shapes --train ${train} --test ${test} --size 96 --seed 1\``,
    `- model: shapes-detector.cnn, backend ${opened.detail}, ${os.cpus().length} CPUs`,
    `- training: ${done} epochs in ${(trainSeconds / 60).toFixed(1)} minutes (limit ${minutes})`,
    `- **mAP@0.5 = ${r.stats.map50.toFixed(3)}**, mAP@[.5:.95] = ${r.stats.map.toFixed(3)}, mAP@0.75 = ${r.stats.map75.toFixed(3)}`,
    '',
    '```',
    summary,
    '```',
    '',
    '| class | AP | AP@0.5 | recall |',
    '| --- | --- | --- | --- |',
    ...r.stats.perClass.map(
      (c, i) =>
        `| ${testSet.classNames[i]} | ${c.ap?.toFixed(3)} | ${c.ap50?.toFixed(3)} | ${c.recall?.toFixed(3)} |`,
    ),
    '',
    '```',
    ...lines,
    '```',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(DIR, 'RESULTS.md'), text);
  engine.dispose();
}

class Stop extends Error {}

void main();
