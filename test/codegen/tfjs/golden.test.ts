/**
 * Golden files of the TensorFlow.js code generator: model.ts of LeNet-5, ResNet-18 and the
 * Inception module example, ResNet-18's layers.ts, and LeNet-5's train.ts and README.md, under
 * test/baselines/codegen-tfjs/ (UPDATE_BASELINES=1 rewrites them). Emitting twice, from two working
 * folders, gives the same bytes; the files are prettier's layout (formatting them again changes
 * nothing); and every model of every stdlib file emits a project that `tsc --noEmit` accepts (one
 * tsc run over all the projects).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBaseline } from '../../helpers/baseline.js';
import { REPO } from '../../helpers/memory-host.js';
import { emitTfjs, typecheckAll } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-golden-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const GOLDENS = [
  { name: 'lenet5', args: ['examples/lenet5.cnn'], files: ['model.ts', 'train.ts', 'README.md'] },
  { name: 'resnet18', args: ['resnet', '--model', 'ResNet18'], files: ['model.ts', 'layers.ts'] },
  { name: 'inception-module', args: ['examples/inception-module.cnn'], files: ['model.ts'] },
] as const;

const stdlib = fs
  .readdirSync(path.join(REPO, 'stdlib'))
  .filter((f) => f.endsWith('.cnn'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('emitted TensorFlow.js projects', () => {
  beforeAll(async () => {
    for (const name of stdlib) {
      const r = await emitTfjs(name, path.join(work, 'projects', `stdlib-${name}`));
      if (r.code !== 0) throw new Error(`stdlib/${name}.cnn: ${r.err}`);
    }
  }, 300_000);

  it.each(GOLDENS)('$name: matches its golden files, byte for byte on every run', async (g) => {
    const a = path.join(work, 'projects', `${g.name}-a`);
    const b = path.join(work, `${g.name}-b`);
    const first = await emitTfjs(g.args[0], a, g.args.slice(1));
    expect(first.err).toMatch(/^wrote model\.ts, .*README\.md to /);
    expect(first.code).toBe(0);
    // A second run from another working folder: the same bytes (no paths, times or order noise).
    const file = g.args[0].includes('/') ? path.join(REPO, g.args[0]) : g.args[0];
    const second = await emitTfjs(file, b, g.args.slice(1), work);
    expect(second.code).toBe(0);
    for (const f of fs.readdirSync(a))
      expect(fs.readFileSync(path.join(b, f), 'utf8'), f).toBe(
        fs.readFileSync(path.join(a, f), 'utf8'),
      );
    for (const f of g.files)
      expectBaseline(`codegen-tfjs/${g.name}.${f}`, fs.readFileSync(path.join(a, f), 'utf8'));
  });

  it('the TypeScript and JSON are already in prettier layout', async () => {
    const dir = path.join(work, 'projects', 'lenet5-a');
    for (const f of fs.readdirSync(dir).filter((f) => /\.(ts|json)$/.test(f))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const again = await prettier.format(text, {
        parser: f.endsWith('.ts') ? 'typescript' : 'json',
        printWidth: 100,
        singleQuote: true,
        trailingComma: 'all',
      });
      expect(again, f).toBe(text);
    }
  });

  it('pins exactly the versions this repository installs and tests with', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(work, 'projects', 'lenet5-a', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const installed = (name: string) =>
      (
        JSON.parse(
          fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8'),
        ) as { version: string }
      ).version;
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }))
      expect(version, name).toBe(installed(name));
    expect(Object.keys(pkg.dependencies)).toContain('@tensorflow/tfjs-backend-wasm');
  });

  it('every model of every stdlib file emits, one builder each, and tsc accepts every project', () => {
    for (const name of stdlib) {
      const text = fs.readFileSync(
        path.join(work, 'projects', `stdlib-${name}`, 'model.ts'),
        'utf8',
      );
      const builders = [...text.matchAll(/^export function build\w+\(/gm)].length;
      expect(builders, name).toBe(
        (fs.readFileSync(path.join(REPO, 'stdlib', `${name}.cnn`), 'utf8').match(/^model /gm) ?? [])
          .length,
      );
    }
    expect(typecheckAll(path.join(work, 'projects'))).toBeNull();
  }, 300_000);
});
