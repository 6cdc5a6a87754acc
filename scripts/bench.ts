/**
 * `npm run bench`: compiler speed figures. Prints, for this machine:
 *  - check + summary of ResNet-152, warm, in-process (target ≤ 20 ms);
 *  - a cold `cnnc check` of stdlib/resnet.cnn as a fresh process (target ≤ 400 ms);
 *  - generated models of 2,500 … 10,000 layers (target ≤ 1 s at 10,000, growing linearly);
 *  - `cnnc lsp`: a keystroke in a 1,000-line file to its diagnostics, warm, over JSON-RPC (target
 *    ≤ 50 ms; scripts/bench-lsp.ts);
 *  - where Debian's python3-torch is installed, a PyTorch summary of the same ResNet-152 by forward
 *    hooks, for scale;
 *  - training and inference images/s of LeNet-5, the yardstick CNN and ResNet-18 at 32x32x3, batch
 *    64: `cnnc bench --json`, the wasm engine on 1 and 2 threads (its scaling, profile and the
 *    scaling predicted for a quiet machine) and, where PyTorch is installed, the same networks in
 *    PyTorch on 1 and 2 threads in the same run, with the ratios (scripts/bench-training.ts);
 *  - where PyTorch is installed, the training images/s of the emitted LeNet-5 train.py (`cnnc
 *    compile --emit pytorch`) on 1 process and on 2 (torchrun), beside `cnnc train`'s on the same
 *    data (scripts/bench-train-py.ts);
 *  - GFLOP/s of the reference executor's float32 conv kernels (forward, input and filter gradient)
 *    beside tfjs wasm's on the same 64x56x56x64 layer (scripts/bench-conv.ts).
 * Targets are printed beside the figures; nothing here fails a build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { nodeHost, packageRoot } from '../compiler/cli/host.js';
import { compileFile, type Host } from '../compiler/program.js';
import { summaryJson } from '../compiler/report/summary.js';
import { sourceMapOf, SourceFile } from '../compiler/diagnostics/index.js';
import { benchConv } from './bench-conv.js';
import { keystrokeLatencies } from './bench-lsp.js';
import { LSP_NODE_OPTIONS } from '../compiler/lsp/node-options.js';
import { benchTrainPy } from './bench-train-py.js';
import { benchTraining, ips } from './bench-training.js';

const root = packageRoot();
const cli = path.join(root, 'dist', 'compiler', 'cli', 'main.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, runs: number): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

function line(label: string, value: string, target: string, ok: boolean): void {
  console.log(
    `${label.padEnd(52)} ${value.padStart(12)}   target ${target.padEnd(10)} ${ok ? 'ok' : 'MISSED'}`,
  );
}

function checkAndSummarise(host: Host, file: string, model: string): void {
  const r = compileFile(file, host, { model });
  const m = r.models[0];
  if (!m?.summary)
    throw new Error(`${model} did not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  summaryJson(
    { ...m, summary: m.summary },
    sourceMapOf([...r.sources].map(([p, t]) => new SourceFile(p, t))),
  );
}

function generated(layers: number): Host {
  // input, then (conv, bn, relu, conv, add, relu) per block, then gap and dense.
  const blocks = Math.floor((layers - 3) / 6);
  const body = ['  input 64x64x16'];
  for (let i = 0; i < blocks; i++)
    body.push('  residual { conv 16 3x3 same, bn, relu, conv 16 3x3 same }', '  relu');
  body.push('  gap', '  dense 10');
  const text = `model Deep {\n${body.join('\n')}\n}\n`;
  const base = nodeHost();
  return {
    ...base,
    readFile: (p) => (p === '/generated/deep.cnn' ? text : base.readFile(p)),
    inspect: (p) =>
      p === '/generated/deep.cnn' ? { canonical: p, kind: 'file' } : base.inspect(p),
    displayPath: (p) => (p === '/generated/deep.cnn' ? 'deep.cnn' : base.displayPath(p)),
  };
}

console.log(
  `cnnc compiler benchmarks — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
);

const host = nodeHost();
const resnet = path.join(root, 'stdlib', 'resnet.cnn');
for (let i = 0; i < 5; i++) checkAndSummarise(host, resnet, 'ResNet152'); // warm up
const warm = time(() => checkAndSummarise(host, resnet, 'ResNet152'), 30);
line(
  'check + summary ResNet-152, warm, in-process',
  `${warm.toFixed(1)} ms`,
  '≤ 20 ms',
  warm <= 20,
);

function coldCheck(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8' });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`cnnc check failed: ${r.stdout}${r.stderr}`);
  }
  return median(times);
}
for (const [label, file] of [
  [
    'cold `cnnc check examples/lenet5.cnn` (new process)',
    path.join(root, 'examples', 'lenet5.cnn'),
  ],
  ['cold `cnnc check stdlib/resnet.cnn`, 5 ResNets', resnet],
]) {
  const ms = coldCheck(file);
  line(label, `${ms.toFixed(0)} ms`, '≤ 400 ms', ms <= 400);
}

const sizes = [2_500, 5_000, 10_000];
const perLayer: number[] = [];
for (const n of sizes) {
  const h = generated(n);
  compileFile('/generated/deep.cnn', h);
  const ms = time(() => {
    const r = compileFile('/generated/deep.cnn', h);
    if (r.diagnostics.some((d) => d.severity === 'error'))
      throw new Error('generated model has errors');
  }, 5);
  const nodes = compileFile('/generated/deep.cnn', h).models[0].graph.nodes.length;
  perLayer.push(ms / nodes);
  line(
    `generated model (parse + check), ${nodes.toLocaleString('en-US')} layers`,
    `${ms.toFixed(0)} ms`,
    n === 10_000 ? '≤ 1 s' : '',
    ms <= 1000 || n !== 10_000,
  );
}
const growth = perLayer[perLayer.length - 1] / perLayer[0];
line(
  'time per layer, 10,000 vs 2,500 layers (1.0 = linear)',
  growth.toFixed(2),
  '≈ 1',
  growth < 1.5,
);

for (const [how, options] of [
  ['as the VS Code extension starts it', LSP_NODE_OPTIONS],
  ['plain `node`', []],
] as const) {
  const keystrokes = await keystrokeLatencies(cli, options);
  const keystroke = median(keystrokes);
  line(
    'lsp: keystroke → diagnostics, 1,000-line file, warm',
    `${keystroke.toFixed(1)} ms`,
    how === 'plain `node`' ? 'for scale' : '≤ 50 ms',
    how === 'plain `node`' || keystroke <= 50,
  );
  console.log(
    `  (${how}${options.length ? `, node ${options.join(' ')}` : ''}: ${keystrokes.length} keystrokes, fastest ${Math.min(...keystrokes).toFixed(1)} ms, slowest ${Math.max(...keystrokes).toFixed(1)} ms)`,
  );
}

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], {
  encoding: 'utf8',
});
if (torch.status === 0) {
  const script = `
import time, torch, torchvision
torch.set_num_threads(2)
m = torchvision.models.resnet152().eval()
macs = []
def hook(mod, inp, out):
    if isinstance(mod, torch.nn.Conv2d): macs.append(out.numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1])
    elif isinstance(mod, torch.nn.Linear): macs.append(mod.in_features * mod.out_features)
for mod in m.modules(): mod.register_forward_hook(hook)
t = time.time()
with torch.no_grad(): m(torch.zeros(1, 3, 224, 224))
print((time.time() - t) * 1000, sum(p.numel() for p in m.parameters()), sum(macs))
`;
  const t = performance.now();
  const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })
    .trim()
    .split(' ');
  const total = performance.now() - t;
  line(
    'PyTorch hooked forward summary of ResNet-152',
    `${Number(out[0]).toFixed(0)} ms`,
    'for scale',
    true,
  );
  line('  …including Python and torch start-up', `${total.toFixed(0)} ms`, 'for scale', true);
  console.log(
    `  (PyTorch counts ${Number(out[1]).toLocaleString('en-US')} parameters and ${Number(out[2]).toLocaleString('en-US')} MACs)`,
  );
} else {
  console.log(
    'PyTorch not installed (apt install python3-torch python3-torchvision): skipping the comparison',
  );
}

// Training speed: cnnc's wasm engine on 1 and 2 threads beside PyTorch (scripts/bench-training.ts).
const { hasTorch } = benchTraining(root, cli);

// The emitted PyTorch training script beside cnnc train, same data, same run.
if (hasTorch) {
  console.log(
    '\nemitted train.py — LeNet-5, first 10,000 MNIST images, 1 epoch, its train block (batch 32)\n',
  );
  const rows = benchTrainPy(root, cli);
  for (const r of rows)
    line(
      `lenet5, ${r.label}: train`,
      typeof r.imagesPerSecond === 'number' ? ips(r.imagesPerSecond) : 'n/a',
      'for scale',
      typeof r.imagesPerSecond === 'number',
    );
  for (const r of rows)
    if (typeof r.imagesPerSecond === 'string') console.log(`  ${r.label}: ${r.imagesPerSecond}`);
  const [cnnc, ...torch] = rows.map((r) => r.imagesPerSecond);
  if (typeof cnnc === 'number')
    for (const [i, t] of torch.entries())
      if (typeof t === 'number')
        line(
          `lenet5: ${rows[i + 1].label} / cnnc train`,
          `${(t / cnnc).toFixed(2)}x`,
          'for scale',
          true,
        );
}

// The reference executor's convolution kernels beside tfjs wasm's, same layer, same run.
console.log('\nconvolution kernels (reference executor, pure TypeScript; tfjs wasm)\n');
await benchConv();
