/**
 * The training worker: TensorFlow.js (WebGL where the browser gives a worker a WebGL context, else
 * the wasm backend with cnnc's gradient kernels), the model lowered from the page's IR by the same
 * runtime as `cnnc train` (runtime/tfjs/lower.ts, engine.ts), its optimiser and schedule from the
 * model's `train { }` block (compiler/train/settings.ts), on MNIST served gzip-compressed beside the
 * page. Steps run one at a time so that `stop` takes effect at once and `resume` goes on from there;
 * a checkpoint is cnnc's format (runtime/train/checkpoint-files.ts), zipped.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Graph } from '../../compiler/ir/graph.js';
import { resolveSettings } from '../../compiler/train/settings.js';
import { learningRate } from '../../compiler/train/schedules.js';
import {
  fitToInput,
  makeDataset,
  permutation,
  rng,
  type Dataset,
} from '../../runtime/data/dataset.js';
import { createTfjsEngine } from '../../runtime/tfjs/engine.js';
import { lowerGraph } from '../../runtime/tfjs/lower.js';
import { registerWasmGradKernels } from '../../runtime/tfjs/wasm-kernels.js';
import type { CheckpointMeta } from '../../runtime/train/checkpoint.js';
import { checkpointFiles, irHashText } from '../../runtime/train/checkpoint-files.js';
import type { Engine } from '../../runtime/train/engine.js';
import type { FromWorker, TestDigit, ToWorker } from './protocol.js';
import { zip } from './zip.js';

const post = (m: FromWorker, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(m, transfer);

/** Steps between progress messages, and between test-set evaluations. */
const REPORT_EVERY = 10;
const TEST_EVERY = 50;
/** Test images evaluated each time (the first ones of the test set), and digits shown. */
const TEST_COUNT = 1000;
const DIGITS = 10;

interface Mnist {
  readonly train: Dataset;
  readonly test: Dataset;
  /** The test digits as they are in the file (28x28 bytes each), for the page to draw. */
  readonly testPixels: Uint8Array;
}

async function idx(name: string): Promise<{ dims: number[]; data: Uint8Array }> {
  const res = await fetch(new URL(`mnist/${name}.gz`, self.location.href));
  if (!res.ok || !res.body) throw new Error(`mnist/${name}.gz: HTTP ${res.status}`);
  const bytes = new Uint8Array(
    await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer(),
  );
  // IDX (runtime/data/idx.ts reads it in Node): 00 00 08 rank, rank big-endian sizes, bytes.
  const view = new DataView(bytes.buffer);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 8) throw new Error(`${name}: not uint8 IDX`);
  const dims = Array.from({ length: bytes[3] }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * dims.length) };
}

let mnistPromise: Promise<Mnist> | undefined;

function loadMnist(): Promise<Mnist> {
  mnistPromise ??= (async () => {
    const split = async (prefix: string, name: string) => {
      const [images, labels] = await Promise.all([
        idx(`${prefix}-images-idx3-ubyte`),
        idx(`${prefix}-labels-idx1-ubyte`),
      ]);
      const [n, h, w] = images.dims;
      const x = new Float32Array(images.data.length);
      for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
      return {
        ds: makeDataset(`MNIST ${name}`, x, Int32Array.from(labels.data), [h, w, 1], 10),
        pixels: images.data.slice(0, DIGITS * h * w),
        n,
      };
    };
    const [train, test] = await Promise.all([split('train', 'train'), split('t10k', 'test')]);
    return { train: train.ds, test: test.ds, testPixels: test.pixels };
  })();
  return mnistPromise;
}

let backendName: string | undefined;

/** A WebGL that the CPU renders (SwiftShader, llvmpipe) trains slower than the wasm backend. */
function softwareWebgl(): boolean {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|software/i.test(renderer);
  } catch {
    return true;
  }
}

async function initBackend(wanted?: string): Promise<string> {
  if (backendName) return backendName;
  tf.enableProdMode();
  setWasmPaths(new URL('./', self.location.href).href);
  registerWasmGradKernels(tf);
  const order = wanted ? [wanted] : softwareWebgl() ? ['wasm'] : ['webgl', 'wasm'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // A WebGL context that cannot run a kernel shows it on the first op.
        tf.tidy(() =>
          tf
            .ones([2, 2])
            .matMul(tf.ones([2, 2]))
            .dataSync(),
        );
        backendName = name;
        return name;
      }
    } catch {
      // try the next backend
    }
  }
  throw new Error(`no TensorFlow.js backend among ${order.join(', ')} starts in this browser`);
}

interface Run {
  readonly graph: Graph;
  readonly source: string;
  readonly engine: Engine;
  readonly train: Dataset;
  readonly test: Dataset;
  readonly testPixels: Uint8Array;
  readonly settings: ReturnType<typeof resolveSettings>['settings'];
  step: number;
  order: Int32Array;
  running: boolean;
}

let run: Run | undefined;

async function start(graph: Graph, source: string, wanted?: string): Promise<void> {
  run?.engine.dispose();
  run = undefined;
  const backend = await initBackend(wanted);
  post({ type: 'ready', backend });
  const { settings } = resolveSettings(graph);
  const data = await loadMnist();
  const model = lowerGraph(tf, graph, { seed: settings.seed, init: settings.init });
  const engine = createTfjsEngine(tf, model, backend, {
    loss: settings.loss,
    optimizer: settings.optimizer,
    clipNorm: settings.clipNorm,
    seed: settings.seed,
    init: settings.init,
  });
  const train = fitToInput(data.train, engine.inputShape);
  const test = fitToInput(data.test, engine.inputShape);
  run = {
    graph,
    source,
    engine,
    train,
    test,
    testPixels: data.testPixels,
    settings,
    step: 0,
    order: permutation(train.count, rng(settings.seed * 1000003 + 1)),
    running: true,
  };
  await loop(run);
}

function batch(r: Run, at: number, size: number, ds: Dataset, order?: Int32Array) {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const n = Math.min(size, ds.count - at);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order ? order[at + i] : at + i;
    x.set(ds.images.subarray(k * per, (k + 1) * per), i * per);
    y[i] = ds.labels[k];
  }
  return { x: { data: x, shape: [n, ...r.engine.inputShape] }, y };
}

async function testSet(r: Run): Promise<void> {
  let correct = 0;
  let loss = 0;
  const predicted: number[] = [];
  for (let at = 0; at < TEST_COUNT; at += 250) {
    const { x, y } = batch(r, at, Math.min(250, TEST_COUNT - at), r.test);
    const out = await r.engine.evalBatch(x, y);
    loss += out.loss * y.length;
    for (let i = 0; i < y.length; i++) {
      const row = out.scores.subarray(i * out.classes, (i + 1) * out.classes);
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      if (best === y[i]) correct++;
      predicted.push(best);
    }
  }
  const digits: TestDigit[] = [];
  for (let i = 0; i < DIGITS; i++)
    digits.push({
      pixels: r.testPixels.slice(i * 784, (i + 1) * 784),
      label: r.test.labels[i],
      predicted: predicted[i],
    });
  post({
    type: 'test',
    step: r.step,
    accuracy: correct / TEST_COUNT,
    loss: loss / TEST_COUNT,
    count: TEST_COUNT,
    digits,
  });
}

async function loop(r: Run): Promise<void> {
  const size = r.settings.batchSize;
  const steps = Math.floor(r.train.count / size);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let t0 = performance.now();
  while (r.running && run === r) {
    const inEpoch = r.step % steps;
    if (r.step > 0 && inEpoch === 0)
      r.order = permutation(r.train.count, rng(r.settings.seed * 1000003 + r.step / steps + 1));
    const { x, y } = batch(r, inEpoch * size, size, r.train, r.order);
    const lr = learningRate(
      r.settings.lr,
      r.settings.schedule,
      r.step,
      steps,
      steps * r.settings.epochs,
    );
    const out = await r.engine.trainStep(x, y, lr);
    r.step++;
    lossSum += out.loss * y.length;
    correct += out.correct;
    seen += y.length;
    if (r.step % REPORT_EVERY === 0) {
      const now = performance.now();
      post({
        type: 'progress',
        step: r.step,
        epoch: Math.floor(r.step / steps) + 1,
        loss: lossSum / seen,
        accuracy: correct / seen,
        imagesPerSecond: (seen / (now - t0)) * 1000,
      });
      lossSum = correct = seen = 0;
      t0 = now;
    }
    if (r.step % TEST_EVERY === 0) await testSet(r);
    // Let stop/checkpoint messages in between steps.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (run === r) post({ type: 'stopped', step: r.step });
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function checkpoint(r: Run): Promise<void> {
  const optimizer = r.engine.optimizerState();
  const weights = r.engine.readWeights();
  const steps = Math.floor(r.train.count / r.settings.batchSize);
  const meta: CheckpointMeta = {
    format: 'cnnc-checkpoint',
    version: 1,
    model: r.graph.model,
    sourceHash: await sha256(r.source),
    irHash: await sha256(irHashText(r.graph)),
    weights: Object.fromEntries(weights.map((w) => [w.name, w.shape])),
    optimizer: optimizer && {
      config: r.settings.optimizer,
      step: optimizer.step,
      slots: optimizer.slots.map((s) => ({ name: s.name, shape: s.shape })),
    },
    epoch: Math.floor(r.step / steps),
    globalStep: r.step,
    metrics: { playground: { steps: r.step, backend: backendName } },
    rng: { dropoutDraws: r.engine.randomDraws() },
  };
  const files = checkpointFiles({ meta, weights, optimizer });
  const folder = `${r.graph.model}-checkpoint`;
  const bytes = zip(files.map(([name, data]) => [`${folder}/${name}`, data]));
  post({ type: 'checkpoint', name: `${folder}.zip`, zip: bytes }, [bytes.buffer]);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  const fail = (err: unknown) =>
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  switch (m.type) {
    case 'start':
      start(m.graph, m.source, m.backend).catch(fail);
      break;
    case 'stop':
      if (run) run.running = false;
      break;
    case 'resume':
      if (run && !run.running) {
        run.running = true;
        loop(run).catch(fail);
      }
      break;
    case 'checkpoint':
      if (run) checkpoint(run).catch(fail);
      break;
  }
};
