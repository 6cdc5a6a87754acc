/**
 * `cnnc train` when things go wrong, in-process: a loss that becomes NaN, an output folder that
 * cannot be written, a disk that fills up, and a checkpoint of another model. Each one must stop
 * with exit code 1 and a message that says what happened, and must leave what was already saved
 * intact and loadable.
 */
import { runCnnc } from '../helpers/cli.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { loadCheckpoint, useFileWriter } from '../../runtime/train/checkpoint.js';
import { REPO } from '../helpers/memory-host.js';

const cnnc = (args: readonly string[]) => runCnnc(args, REPO);

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-fail-'));

/** A small MNIST classifier; `train` is the body of its train block. */
function modelFile(dir: string, train: string, dense = 10): string {
  const file = path.join(dir, 'tiny.cnn');
  fs.writeFileSync(
    file,
    `model Tiny {\n  input 28x28x1\n  conv 4 3x3 /2, relu\n  flatten\n` +
      `${dense === 10 ? '' : `  dense ${dense}, relu\n`}  dense 10, softmax\n` +
      `  train { ${train} }\n}\n`,
  );
  return file;
}

/** 256 digits of the mnist package in batches of 64: 4 steps an epoch. */
const QUICK = ['--data', 'mnist-json', '--limit', '256', '--backend', 'wasm', '--quiet'];
const SETTINGS = 'optimizer sgd lr 0.05, batch 64, validation 0, seed 3';

/** Every weight of the checkpoint in DIR is finite; returns its metadata. */
function intactCheckpoint(dir: string) {
  const ck = loadCheckpoint(dir);
  for (const w of ck.weights) expect(w.data.every(Number.isFinite)).toBe(true);
  expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  return ck.meta;
}

afterEach(() => useFileWriter(null));

describe('cnnc train stops cleanly', () => {
  it('at a NaN loss, naming the epoch and step and keeping the last good checkpoint', async () => {
    const dir = tmp();
    // Epoch 1 at lr 0.05; from epoch 2 the step schedule multiplies it by 1e30.
    const file = modelFile(dir, `${SETTINGS}, epochs 4, schedule step gamma 1e30 step_every 1`);
    const out = path.join(dir, 'run');
    const r = await cnnc(['train', file, ...QUICK, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NaN or infinite at step (\d+) \(epoch 2, batch (\d+)\)/);
    const [, step, batch] = /at step (\d+) \(epoch 2, batch (\d+)\)/.exec(r.err) ?? [];
    expect(Number(step)).toBe(4 + Number(batch));
    expect(r.err).toMatch(/checkpoint of epoch 1 .* is kept/);
    const meta = intactCheckpoint(path.join(out, 'checkpoint'));
    expect(meta).toMatchObject({ model: 'Tiny', epoch: 1, globalStep: 4 });
    const log = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(log.map((l) => JSON.parse(l).epoch)).toEqual([1]);
    // The kept checkpoint loads and evaluates to finite figures.
    const ev = await cnnc(['evaluate', file, '--weights', out, ...QUICK.slice(0, 6), '--json']);
    expect(ev.code).toBe(0);
    expect(Number.isFinite(JSON.parse(ev.out).test.loss)).toBe(true);
  });

  it.each([
    ['a file where the output folder should be', (dir: string) => path.join(dir, 'taken')],
    ['an output folder under a file', (dir: string) => path.join(dir, 'taken', 'run')],
  ])('when --out cannot be written: %s', async (_, outOf) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'taken'), 'not a folder\n');
    const out = outOf(dir);
    const r = await cnnc([
      'train',
      modelFile(dir, `${SETTINGS}, epochs 1`),
      ...QUICK,
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cnnc: error: cannot write to the output folder .*(ENOTDIR|EEXIST)/m);
    expect(r.err).not.toMatch(/internal|\n\s+at /);
    expect(fs.readFileSync(path.join(dir, 'taken'), 'utf8')).toBe('not a folder\n');
  });

  it('when the disk fills up, keeping the checkpoint of the epoch before', async () => {
    const dir = tmp();
    const file = modelFile(dir, `${SETTINGS}, epochs 3`);
    const out = path.join(dir, 'run');
    let weightFiles = 0;
    // The second checkpoint's weights go to /dev/full (a real ENOSPC) where there is one.
    const full = fs.existsSync('/dev/full');
    useFileWriter({
      writeFile: (f, data) => {
        if (path.basename(f) === 'weights.bin' && ++weightFiles === 2) {
          if (full) fs.writeFileSync('/dev/full', data);
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        fs.writeFileSync(f, data);
      },
      appendFile: (f, data) => fs.appendFileSync(f, data),
    });
    const r = await cnnc(['train', file, ...QUICK, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot write the checkpoint .*ENOSPC.*previous checkpoint is kept/);
    expect(intactCheckpoint(path.join(out, 'checkpoint'))).toMatchObject({ epoch: 1 });
    useFileWriter(null);
    // The run resumes from that checkpoint once there is space again.
    const again = await cnnc(['train', file, ...QUICK, '--out', out, '--resume']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/resuming from .* after epoch 1/);
    expect(intactCheckpoint(path.join(out, 'checkpoint'))).toMatchObject({ epoch: 3 });
  });
});

describe('a checkpoint of another model', () => {
  it('is refused on --resume, naming every weight that differs', async () => {
    const dir = tmp();
    const out = path.join(dir, 'run');
    const first = modelFile(dir, `${SETTINGS}, epochs 1`);
    expect((await cnnc(['train', first, ...QUICK, '--out', out])).code).toBe(0);
    const firstGraph = compileFile(first, nodeHost(REPO)).models[0].graph;
    // The same file with a hidden dense layer: dense1 changes shape and dense2 is new.
    const second = modelFile(dir, `${SETTINGS}, epochs 2`, 32);
    const secondGraph = compileFile(second, nodeHost(REPO)).models[0].graph;
    const shapes = (g: typeof firstGraph) =>
      new Map(
        g.nodes.flatMap((n) =>
          (n.weights ?? []).map((w) => [`${n.name}/${w.name}`, w.shape.join('x')]),
        ),
      );
    const [a, b] = [shapes(firstGraph), shapes(secondGraph)];
    const differing = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
    expect(differing.length).toBeGreaterThan(1);

    const r = await cnnc(['train', second, ...QUICK, '--out', out, '--resume']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds weights of Tiny, which do not fit Tiny/);
    const named = r.err.split('\n').filter((l) => /^\s+\S+\/\S+: /.test(l));
    expect(named.map((l) => l.trim().split(':')[0]).sort()).toEqual(differing.sort());
    expect(intactCheckpoint(path.join(out, 'checkpoint'))).toMatchObject({ epoch: 1 });
  });
});
