/**
 * The emitted training files are a product: train.py for LeNet-5, a ResNet-18 (the fine-tuned
 * examples/resnet-digits.cnn), the Inception module example and the gradual-unfreezing transfer
 * example, the two-output example (examples/two-heads.cnn), the shapes detector and its multi-scale
 * version, and the static cnnc_data.py, cnnc_train.py and cnnc_detect.py, are golden files
 * (test/baselines/codegen/train/), byte-identical on every run; every emitted Python file compiles (`python3 -m py_compile`), and
 * lines stay within 100 columns.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectBaseline } from '../../helpers/baseline.js';
import { emitPytorch, PYTHON, tempDir } from './train-helpers.js';

const CASES = [
  { name: 'lenet5', file: 'examples/lenet5.cnn' },
  { name: 'resnet18-digits', file: 'examples/resnet-digits.cnn' },
  { name: 'inception-module', file: 'examples/inception-module.cnn' },
  { name: 'fine-tuned', file: 'examples/transfer/fine-tuned.cnn' },
  { name: 'two-heads', file: 'examples/two-heads.cnn' },
  { name: 'shapes-detector', file: 'examples/detection/shapes-detector.cnn' },
  { name: 'shapes-multiscale', file: 'examples/detection/shapes-multiscale.cnn' },
];

const work = tempDir('train-goldens');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const hasPython = spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;

describe('emitted train.py', () => {
  it.each(CASES)('$file: train.py is its golden file, twice over', async ({ name, file }) => {
    const texts: string[] = [];
    for (const run of ['a', 'b']) {
      const dir = path.join(work, `${name}-${run}`);
      const r = await emitPytorch(file, dir);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      texts.push(fs.readFileSync(path.join(dir, 'train.py'), 'utf8'));
    }
    expect(texts[1]).toBe(texts[0]);
    expectBaseline(`codegen/train/${name}.train.py`, texts[0]);
  });

  it('cnnc_data.py, cnnc_train.py and cnnc_detect.py are their golden files', () => {
    const dir = path.join(work, 'lenet5-a');
    for (const f of ['cnnc_data.py', 'cnnc_train.py', 'cnnc_detect.py'])
      expectBaseline(`codegen/train/${f}`, fs.readFileSync(path.join(dir, f), 'utf8'));
  });

  it('keeps the training files within 100 columns, without tabs or trailing spaces', () => {
    for (const { name } of CASES) {
      for (const f of ['train.py', 'cnnc_data.py', 'cnnc_train.py', 'cnnc_detect.py']) {
        const lines = fs.readFileSync(path.join(work, `${name}-a`, f), 'utf8').split('\n');
        const bad = lines
          .map((l, i) => ({ l, i }))
          .filter(({ l }) => l.length > 100 || /\t|\s$/.test(l));
        expect(bad.map(({ i }) => `${name}/${f}:${i + 1}`)).toEqual([]);
      }
    }
  });

  it.runIf(hasPython)('compiles every emitted Python file (python3 -m py_compile)', () => {
    const files = CASES.flatMap(({ name }) =>
      fs
        .readdirSync(path.join(work, `${name}-a`))
        .filter((f) => f.endsWith('.py'))
        .map((f) => path.join(work, `${name}-a`, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(CASES.length * 5);
    const r = spawnSync(
      PYTHON,
      [
        '-c',
        'import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, cfile=f + "c", doraise=True)',
        ...files,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
