/**
 * Forward parity of `cnnc compile --emit pytorch`: for every example (examples/*.cnn,
 * examples/transfer/*.cnn) and every stdlib family at a small input, the emitted module with
 * PyTorch's default initialisation and random batch-norm statistics (torch-parity.py, seeded) is
 * saved through cnnc_io.py (state_dict_to_cnnc + write_safetensors), and `cnnc run` on those
 * weights gives the module's output within 1e-4 (max |cnnc − torch| / max |torch|) in eval mode.
 * The module's parameter count equals `cnnc summary`'s, and the weights survive
 * write_safetensors → load_weights_file into a fresh module bit for bit. A model with several
 * outputs is compared output by output (`cnnc run --output Y.npy` writes Y.NAME.npy), and
 * `logits` (one bool, or one per output) changes exactly the outputs that end in a softmax.
 *
 * Inputs are small: the stdlib models are derived with a smaller input, and the hidden dense layers
 * of AlexNet and VGG are narrowed as in test/cli/parity.test.ts. One Python process runs a whole
 * group. Needs /usr/bin/python3 with torch; skipped without it unless CNNC_REQUIRE_TORCH=1.
 */
import { toNumber } from '../../compiler/sema/count.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { namedOutputs } from '../../compiler/sema/outputs.js';
import { runCnnc } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';
import { OP_KINDS } from '../../compiler/ir/ops.js';
import { OP_CASES, opCasesFile } from './op-cases.js';
import { EXAMPLE_FILES, STDLIB_MODEL_COUNT, STDLIB_MODELS } from './parity-cases.js';
import {
  emitPytorch,
  hasTorch,
  readNpy,
  relativeError,
  runTorchCases,
  SKIP_REASON,
  torchRequired,
  type ParityCase,
  type ParityResult,
} from './torch.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-codegen-parity-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case extends ParityCase {
  readonly title: string;
  /** The .cnn file `cnnc run` reads. */
  readonly file: string;
  /** The parameter count `cnnc summary` prints (the compiler's summary of the model). */
  readonly params: number;
  /** Layers with weights that the .cnn file freezes. */
  readonly frozen: readonly string[];
  /** Per output: whether it ends in a softmax (logits=True skips exactly that softmax). */
  readonly softmaxOutputs: readonly boolean[];
}

/** One case per model of a file, emitted into its own folder; symbolic sizes become 32. */
async function casesOf(file: string, label: string, seed: number): Promise<Case[]> {
  const dir = path.join(work, label.replace(/[^A-Za-z0-9]+/g, '_'));
  const r = await emitPytorch(file, dir);
  if (r.code !== 0) throw new Error(`cnnc compile ${file} --emit pytorch: ${r.err}`);
  const compiled = compileFile(file, nodeHost(REPO));
  return compiled.models.map((m, i) => {
    const input = m.graph.nodes.find((n) => n.op === 'input')!.shape!;
    const dims = input.map((d) => (typeof d === 'number' ? d : 32));
    const cf = dims.length > 1 ? [dims[dims.length - 1], ...dims.slice(0, -1)] : dims;
    return {
      title: `${label} ${m.graph.model}`,
      file,
      dir,
      model: m.graph.model,
      input: [2, ...cf],
      seed: seed + i,
      params: toNumber(m.summary!.params.total),
      frozen: m.graph.nodes.filter((n) => n.frozen && n.weights?.length).map((n) => n.name),
      outputs: namedOutputs(m.graph).map((o) => o.name),
      softmaxOutputs: m.graph.outputs.map((o) => {
        const n = m.graph.nodes[o];
        return n.op === 'activation' && n.attrs.fn === 'softmax';
      }),
    };
  });
}

const exampleFiles = EXAMPLE_FILES;

/**
 * Several outputs that end in a softmax (no example has them): `logits` given per output must
 * return the scores before each softmax it names and leave the other output as it is.
 */
const SOFTMAX_HEADS = `model SoftmaxHeads {
  input 8x8x2
  conv 4 3x3 same, relu
  output aux { gap, dense 5, softmax }
  flatten
  dense 5, softmax
}
`;

describe.runIf(hasTorch || torchRequired)('forward parity: emitted PyTorch vs cnnc run', () => {
  const cases: Case[] = [];
  const results = new Map<string, ParityResult>();
  beforeAll(async () => {
    expect(hasTorch, SKIP_REASON).toBe(true);
    const stdlib = path.join(work, 'stdlib-models.cnn');
    fs.writeFileSync(stdlib, STDLIB_MODELS);
    let seed = 1;
    for (const f of exampleFiles)
      cases.push(...(await casesOf(path.join(REPO, f), f, (seed += 10))));
    cases.push(...(await casesOf(stdlib, 'stdlib', 1000)));
    const ops = path.join(work, 'op-cases.cnn');
    fs.writeFileSync(ops, opCasesFile());
    cases.push(...(await casesOf(ops, 'ops', 2000)));
    const heads = path.join(work, 'softmax-heads.cnn');
    fs.writeFileSync(heads, SOFTMAX_HEADS);
    cases.push(...(await casesOf(heads, 'heads', 3000)));
    const out = runTorchCases(cases, work);
    cases.forEach((c, i) => results.set(c.title, out[i]));
  }, 600_000);

  /** cnnc run on the weights the module saved gives its output; counts and round trip agree. */
  async function checkCase(c: Case): Promise<void> {
    const res = results.get(c.title)!;
    const at = (suffix: string) => path.join(c.dir, `${c.model}${suffix}`);
    const yc = at('-cnnc.npy');
    const model = ['--model', c.model];
    const run = await runCnnc([
      'run',
      c.file,
      ...model,
      '--weights',
      at('.safetensors'),
      '--input',
      at('-x.npy'),
      '--output',
      yc,
      '--backend',
      'reference',
    ]);
    // Notes (a symbolic size's assumptions) may be printed; no warning or error.
    expect(run.err, c.title).not.toMatch(/warning|error/);
    expect(run.code, c.title).toBe(0);
    // Several outputs: `cnnc run` and torch-parity.py write one file per output, NAME.npy.
    const files = c.outputs.length > 1 ? c.outputs.map((name) => `.${name}.npy`) : ['.npy'];
    for (const [k, suffix] of files.entries()) {
      const err = relativeError(readNpy(at(`-cnnc${suffix}`)), readNpy(at(`-y${suffix}`)));
      const which = c.outputs.length > 1 ? ` output ${c.outputs[k]}` : '';
      console.log(`${c.title}${which}: max relative error ${err.toExponential(2)}`);
      expect(err, `${c.title}${which}`).toBeLessThanOrEqual(1e-4);
    }
    expect(res.params, c.title).toBe(c.params);
    expect(res.roundtrip, c.title).toBe(true);
    expect(res.contract, c.title).toEqual([]);
    expect(res.frozen, c.title).toEqual(c.frozen);
    // logits=True skips exactly a final softmax, output by output; flags given per output
    // change only the outputs they name.
    expect(res.logitsDiffer, c.title).toEqual(c.softmaxOutputs);
    expect(res.perOutputLogits, c.title).toBe(true);
  }

  it('covers every example and stdlib family', () => {
    const titles = cases.map((c) => c.title);
    for (const f of exampleFiles) expect(titles.some((t) => t.startsWith(`${f} `))).toBe(true);
    expect(cases.filter((c) => c.title.startsWith('stdlib ')).length).toBe(STDLIB_MODEL_COUNT);
  });

  it('two outputs ending in a softmax: each matches, and logits picks them one by one', async () => {
    const c = cases.find((x) => x.title === 'heads SoftmaxHeads')!;
    expect(c.softmaxOutputs).toEqual([true, true]);
    await checkCase(c);
  });

  it('the single-op cases cover every IR op', () => {
    const covered = new Set(OP_CASES.flatMap((c) => c.ops));
    expect(OP_KINDS.filter((op) => op !== 'input' && !covered.has(op))).toEqual([]);
    expect(cases.filter((c) => c.title.startsWith('ops ')).length).toBe(OP_CASES.length);
  });

  it.each(OP_CASES.map((c, i) => [c.title, `Op${i + 1}`] as const))(
    'op case: %s',
    async (_title, model) => {
      await checkCase(cases.find((c) => c.title === `ops ${model}`)!);
    },
  );

  it.each(exampleFiles.map((f) => [f]).concat([['stdlib']]))(
    "%s: every model matches cnnc run (reference) within 1e-4, with cnnc summary's parameter count",
    async (label) => {
      for (const c of cases.filter((x) => x.title.startsWith(`${label} `))) await checkCase(c);
    },
  );
});

if (!hasTorch && !torchRequired) {
  describe('forward parity: emitted PyTorch vs cnnc run', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
