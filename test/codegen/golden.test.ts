/**
 * Golden files of the PyTorch code generator: model.py of LeNet-5, ResNet-18, the Inception
 * module example and the two-output example (examples/two-heads.cnn), and LeNet-5's README.md,
 * under test/baselines/codegen/ (UPDATE_BASELINES=1 rewrites them). Emitting twice, from two
 * working folders, gives the same bytes, and
 * `/usr/bin/python3 -m py_compile` accepts every emitted Python file (no torch needed). Every
 * model of every stdlib file emits (one class each) and compiles.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectBaseline } from '../helpers/baseline.js';
import { REPO } from '../helpers/memory-host.js';
import { emitPytorch, PYTHON, pyCompile } from './torch.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-codegen-golden-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const hasPython = spawnSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' }).status === 0;

const GOLDENS = [
  { name: 'lenet5', args: ['examples/lenet5.cnn'] },
  { name: 'resnet18', args: ['resnet', '--model', 'ResNet18'] },
  { name: 'inception-module', args: ['examples/inception-module.cnn'] },
  { name: 'two-heads', args: ['examples/two-heads.cnn'] },
] as const;

describe('emitted model.py', () => {
  it.each(GOLDENS)('$name: matches its golden file, byte for byte on every run', async (g) => {
    const a = path.join(work, `${g.name}-a`);
    const b = path.join(work, `${g.name}-b`);
    const first = await emitPytorch(g.args[0], a, g.args.slice(1));
    expect(first.err).toMatch(/^wrote model\.py, cnnc_io\.py, .*README\.md to /);
    expect(first.code).toBe(0);
    // A second run from another working folder: the same bytes (no paths, times or order noise).
    const file = g.args[0].includes('/') ? path.join(REPO, g.args[0]) : g.args[0];
    const second = await emitPytorch(file, b, g.args.slice(1), work);
    expect(second.code).toBe(0);
    for (const f of fs.readdirSync(a))
      expect(fs.readFileSync(path.join(b, f), 'utf8'), f).toBe(
        fs.readFileSync(path.join(a, f), 'utf8'),
      );
    expectBaseline(`codegen/${g.name}.model.py`, fs.readFileSync(path.join(a, 'model.py'), 'utf8'));
    if (g.name === 'lenet5')
      expectBaseline(
        'codegen/lenet5.README.md',
        fs.readFileSync(path.join(a, 'README.md'), 'utf8'),
      );
  });

  const stdlib = fs
    .readdirSync(path.join(REPO, 'stdlib'))
    .filter((f) => f.endsWith('.cnn'))
    .map((f) => f.slice(0, -4))
    .sort();

  it.each(stdlib)('stdlib/%s.cnn: every model emits, and py_compile accepts it', async (name) => {
    const out = path.join(work, `stdlib-${name}`);
    const r = await emitPytorch(name, out);
    expect(r.code, r.err).toBe(0);
    const text = fs.readFileSync(path.join(out, 'model.py'), 'utf8');
    const classes = [...text.matchAll(/^class (\w+)\(nn\.Module\):$/gm)].length;
    expect(classes).toBe(
      (fs.readFileSync(path.join(REPO, 'stdlib', `${name}.cnn`), 'utf8').match(/^model /gm) ?? [])
        .length,
    );
    if (hasPython) expect(pyCompile([path.join(out, 'model.py')])).toBeNull();
  });

  it.runIf(hasPython)('python3 -m py_compile accepts every emitted file', () => {
    const files = GOLDENS.flatMap((g) =>
      fs
        .readdirSync(path.join(work, `${g.name}-a`))
        .filter((f) => f.endsWith('.py'))
        .map((f) => path.join(work, `${g.name}-a`, f)),
    );
    expect(files.filter((f) => f.endsWith('model.py')).length).toBe(GOLDENS.length);
    expect(files.every((f) => fs.existsSync(f))).toBe(true);
    expect(pyCompile(files)).toBeNull();
  });
});
