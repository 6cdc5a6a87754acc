/**
 * Shared by the ONNX exporter's tests: compiling models, cnnc weights for them (seeded initial
 * values, random batch-norm statistics), exporting, running an exported model in onnxruntime-web
 * (wasm, in Node: no install step, unlike onnxruntime-node whose install downloads CUDA
 * libraries), cnnc's own forward pass (what `cnnc run` calls), and Debian's python3-onnx checker
 * (one Python process for a whole group; skipped with a reason where `import onnx` fails, unless
 * CNNC_REQUIRE_ONNX=1).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { nodeHost } from '../../../compiler/cli/host.js';
import {
  exportOnnx,
  type OnnxExport,
  type OnnxLayout,
} from '../../../compiler/codegen/onnx/index.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { namedOutputs } from '../../../compiler/sema/outputs.js';
import { rng } from '../../../runtime/data/dataset.js';
import { initialValue } from '../../../runtime/init.js';
import { forward, forwardAll } from '../../../runtime/weights/forward.js';
import type { NamedTensor } from '../../../runtime/weights/tensor.js';
import { REPO } from '../../helpers/memory-host.js';

export const PYTHON = '/usr/bin/python3';
export const hasOnnx = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
export const onnxRequired = process.env.CNNC_REQUIRE_ONNX === '1';
export const ONNX_SKIP_REASON = `skipped: ${PYTHON} cannot import onnx (apt-get install python3-onnx; CI sets CNNC_REQUIRE_ONNX=1)`;

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** Every model a file defines, analysed. */
export function compileModels(file: string): Graph[] {
  const r = compileFile(file, nodeHost(REPO));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new Error(`${file}: ${errors.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.models.map((m) => m.graph);
}

/** cnnc's weights for a graph: seeded initial values, and random batch-norm statistics. */
export function seededWeights(graph: Graph, seed: number): NamedTensor[] {
  const random = rng(seed);
  return graph.nodes.flatMap((n) =>
    (n.weights ?? []).map((w) => {
      const data = initialValue(n, w, seed);
      if (n.op === 'batch_norm')
        for (let i = 0; i < data.length; i++) {
          const r = random();
          data[i] = w.name === 'moving_mean' || w.name === 'beta' ? (r - 0.5) * 0.4 : 0.5 + r;
        }
      return { name: `${n.name}/${w.name}`, shape: w.shape, data };
    }),
  );
}

export function exportOk(
  graph: Graph,
  weights: readonly NamedTensor[],
  layout?: OnnxLayout,
): Uint8Array {
  const r: OnnxExport = exportOnnx(graph, weights, { layout });
  if (!r.bytes)
    throw new Error(
      `${graph.model}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`,
    );
  return r.bytes;
}

/** A batch of `n` seeded samples of the model's input (symbolic sizes at 32), channels last. */
export function sampleInput(graph: Graph, n: number, seed: number) {
  const input = graph.nodes.find((x) => x.op === 'input')!;
  const dims = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : 32));
  const random = rng(seed);
  const data = Float32Array.from({ length: n * dims.reduce((a, b) => a * b, 1) }, () => random());
  return { data, shape: [n, ...dims] };
}

/** Channels last → first for a batch [N, ...spatial, C]; vectors as they are. */
export function toNchw(data: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length <= 2) return data;
  const [n, ...rest] = shape;
  const c = rest[rest.length - 1];
  const hw = rest.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < hw; p++)
      for (let k = 0; k < c; k++) out[b * hw * c + k * hw + p] = data[b * hw * c + p * c + k];
  return out;
}

/** Runs an exported model on one input with onnxruntime-web (wasm); the first output. */
export async function runOrt(
  bytes: Uint8Array,
  data: Float32Array,
  shape: readonly number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  return (await runOrtAll(bytes, data, shape))[0];
}

/** As runOrt, every graph output with its name, in the graph's order. */
export async function runOrtAll(
  bytes: Uint8Array,
  data: Float32Array,
  shape: readonly number[],
): Promise<{ name: string; data: Float32Array; dims: readonly number[] }[]> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [...shape]) };
    const out = await session.run(feeds);
    return session.outputNames.map((name) => ({
      name,
      data: out[name].data as Float32Array,
      dims: out[name].dims,
    }));
  } finally {
    await session.release();
  }
}

/** cnnc's forward pass in inference mode (`cnnc run`'s), channels last: the first output. */
export async function cnncForward(
  graph: Graph,
  weights: readonly NamedTensor[],
  x: { data: Float32Array; shape: readonly number[] },
): Promise<{ data: Float32Array; shape: readonly number[] }> {
  return forward('reference', graph, weights, x);
}

/**
 * Every output of cnnc's forward pass with its name (`main` for a model without `output`
 * statements), as `cnnc run` writes them (`Y.NAME.npy`).
 */
export async function cnncForwardAll(
  graph: Graph,
  weights: readonly NamedTensor[],
  x: { data: Float32Array; shape: readonly number[] },
): Promise<{ name: string; data: Float32Array; shape: readonly number[] }[]> {
  const ys = await forwardAll('reference', graph, weights, x);
  return namedOutputs(graph).map((o, i) => ({ name: o.name, ...ys[i] }));
}

export { relativeError } from '../compare.js';

/**
 * Runs onnx.checker.check_model(full_check=True) over the files in one Python process: the
 * error text of each file that fails, by file (empty when all pass).
 */
export function checkModels(files: readonly string[]): Map<string, string> {
  const script = [
    'import json, sys, onnx',
    'bad = {}',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    '    except Exception as e:',
    '        bad[f] = str(e)',
    'print(json.dumps(bad))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`onnx checker failed (${r.status}):\n${r.stderr}`);
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, string>));
}

export function writeTemp(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * One Python process that runs onnx.checker.check_model(full_check=True) on one file at a time,
 * so that a caller can write each model, check it and delete it before writing the next (the
 * stdlib at its declared sizes is gigabytes). The file is checked by path, as onnx's C++ checker
 * loads it: external data must exist beside it but is not read. `check` gives the error text, or
 * null when the model passes.
 */
export class OnnxChecker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private buffered = '';
  private stderr = '';

  constructor() {
    const script = [
      'import json, sys, onnx',
      'for line in sys.stdin:',
      '    try:',
      '        onnx.checker.check_model(json.loads(line), full_check=True)',
      '        err = None',
      '    except Exception as e:',
      '        err = str(e) or type(e).__name__',
      '    print(json.dumps(err), flush=True)',
    ].join('\n');
    this.child = spawn(PYTHON, ['-c', script], { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (t: string) => void (this.stderr += t));
    this.child.stdout.on('data', (t: string) => {
      this.buffered += t;
      let i;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, i);
        this.buffered = this.buffered.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0))
        w(JSON.stringify(`the checker process exited (${code}): ${this.stderr}`));
    });
  }

  check(file: string): Promise<string | null> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as string | null));
      this.child.stdin.write(`${JSON.stringify(file)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
