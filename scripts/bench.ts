/**
 * `npm run bench`: compiler speed figures. Prints, for this machine:
 *  - check + summary of ResNet-152, warm, in-process (target ≤ 20 ms);
 *  - a cold `cnnc check` of stdlib/resnet.cnn as a fresh process (target ≤ 400 ms);
 *  - generated models of 2,500 … 10,000 layers (target ≤ 1 s at 10,000, growing linearly);
 *  - `cnnc lsp`: a keystroke in a 1,000-line file to its diagnostics, warm, over JSON-RPC (target
 *    ≤ 50 ms; scripts/bench-lsp.ts);
 *  - where Debian's python3-torch is installed, a PyTorch summary of the same ResNet-152 by forward
 *    hooks, for scale;
 *  - training and inference images/s of examples/lenet5.cnn and examples/yardstick.cnn at batch 64
 *    (`cnnc bench --json` in a child process, wasm backend) and, where PyTorch is installed, of the
 *    same networks in PyTorch (2 threads, SGD momentum 0.9, lr 0.01), with the ratio cnnc/PyTorch
 *    (target ≥ 0.25x).
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

// Training speed: cnnc bench on the wasm backend and the reference executor against the same
// network in PyTorch.
console.log('\ntraining speed — synthetic data, batch 64, SGD momentum 0.9, lr 0.01\n');

interface BenchJson {
  readonly backend: string;
  readonly backendDetail?: string;
  readonly batch: number;
  readonly train: { readonly imagesPerSecond: number };
  readonly infer: { readonly imagesPerSecond: number };
}

const TORCH_MODELS: Record<string, string> = {
  lenet5: `nn.Sequential(
    nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))`,
  yardstick: `nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.BatchNorm2d(64), nn.Flatten(), nn.Linear(1024, 10))`,
};

function torchBench(
  name: string,
  input: readonly [number, number, number],
  batch: number,
  steps: number,
  warmup: number,
): { train: number; infer: number } | string {
  const [h, w, c] = input;
  const script = `
import time, torch
from torch import nn
torch.set_num_threads(2)
torch.manual_seed(0)
m = ${TORCH_MODELS[name]}
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x = torch.rand(${batch}, ${c}, ${h}, ${w})
y = torch.randint(0, 10, (${batch},))
def step():
    opt.zero_grad()
    loss = loss_fn(m(x), y)
    loss.backward()
    opt.step()
    return loss.item()
m.train()
for _ in range(${warmup}): step()
t = time.perf_counter()
for _ in range(${steps}): step()
train = ${batch} * ${steps} / (time.perf_counter() - t)
m.eval()
with torch.no_grad():
    for _ in range(${warmup}): m(x)
    t = time.perf_counter()
    for _ in range(${steps}): m(x)
    infer = ${batch} * ${steps} / (time.perf_counter() - t)
print(train, infer)
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0)
    return `PyTorch run failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  const [train, infer] = r.stdout.trim().split(/\s+/).map(Number);
  return { train, infer };
}

const hasTorch =
  spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const STEPS = 20;
const WARMUP = 3;
const BATCH = 64;
const ips = (x: number) => `${Math.round(x).toLocaleString('en-US')} img/s`;
function cnncBench(file: string, backend: string): BenchJson | string {
  const args = [cli, 'bench', file, '--backend', backend, '--batch', String(BATCH)];
  args.push('--steps', String(STEPS), '--warmup', String(WARMUP), '--json');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) return `cnnc bench ${backend} failed (exit ${r.status}): ${r.stderr.trim()}`;
  return JSON.parse(r.stdout) as BenchJson;
}

for (const [name, input] of [
  ['lenet5', [32, 32, 1]],
  ['yardstick', [32, 32, 3]],
] as const) {
  const file = path.join(root, 'examples', `${name}.cnn`);
  const results = new Map<string, BenchJson>();
  for (const backend of ['wasm', 'reference']) {
    const ours = cnncBench(file, backend);
    if (typeof ours === 'string') {
      console.log(`  ${name}: ${ours}`);
      continue;
    }
    results.set(backend, ours);
    const label = `${name}, cnnc ${ours.backendDetail ?? ours.backend}`;
    line(`${label}: train`, ips(ours.train.imagesPerSecond), '', true);
    line(`${label}: inference`, ips(ours.infer.imagesPerSecond), '', true);
  }
  const wasm = results.get('wasm');
  const ref = results.get('reference');
  if (wasm && ref) {
    const r = ref.train.imagesPerSecond / wasm.train.imagesPerSecond;
    line(`${name}: train, reference / wasm`, `${r.toFixed(2)}x`, 'for scale', true);
  }
  if (!hasTorch || !wasm) continue;
  const theirs = torchBench(name, input, BATCH, STEPS, WARMUP);
  if (typeof theirs === 'string') {
    console.log(`  ${theirs}`);
    continue;
  }
  line(`${name}, PyTorch (2 threads): train`, ips(theirs.train), '', true);
  line(`${name}, PyTorch (2 threads): inference`, ips(theirs.infer), '', true);
  const trainRatio = wasm.train.imagesPerSecond / theirs.train;
  const inferRatio = wasm.infer.imagesPerSecond / theirs.infer;
  line(
    `${name}: train, cnnc wasm / PyTorch`,
    `${trainRatio.toFixed(2)}x`,
    '≥ 0.25x',
    trainRatio >= 0.25,
  );
  line(`${name}: inference, cnnc wasm / PyTorch`, `${inferRatio.toFixed(2)}x`, 'for scale', true);
  if (ref) {
    const refRatio = ref.train.imagesPerSecond / theirs.train;
    line(`${name}: train, cnnc reference / PyTorch`, `${refRatio.toFixed(2)}x`, 'for scale', true);
  }
}
if (!hasTorch) {
  console.log(
    'PyTorch not installed (apt install python3-torch): skipping the training comparison',
  );
}

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
