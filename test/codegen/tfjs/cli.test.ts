/**
 * `cnnc compile --emit tfjs` at the command line: its usage errors, a file with errors or a train
 * block train.ts cannot honour writes nothing, the synchronous entry point refuses it (prettier is
 * asynchronous), and the output folder follows emit-folder.ts's rules (a file the project no longer
 * needs, such as layers.ts, is removed; the user's files stay).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../compiler/cli/main.js';
import { nodeHost } from '../../../compiler/cli/host.js';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { emitTfjs } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const file = path.join(work, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('cnnc compile --emit tfjs', () => {
  it('needs an output folder, and takes no --names', async () => {
    const none = await runCnnc(['compile', 'examples/lenet5.cnn', '--emit', 'tfjs']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--emit tfjs needs an output folder: -o DIR/);
    const names = await runCnnc([
      'compile',
      'examples/lenet5.cnn',
      '--emit',
      'tfjs',
      '--names',
      'torchvision',
      '-o',
      path.join(work, 'x'),
    ]);
    expect(names.code).toBe(2);
    expect(names.err).toMatch(/--names goes with --emit pytorch/);
    expect(fs.existsSync(path.join(work, 'x'))).toBe(false);
  });

  it('writes nothing for a file with errors, or a train block train.ts cannot honour', async () => {
    const broken = write('broken.cnn', 'model M {\n  input 4x4x1\n  conv 2 9x9\n}\n');
    const r = await emitTfjs(broken, path.join(work, 'broken'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error\[CNN3/);
    expect(fs.existsSync(path.join(work, 'broken'))).toBe(false);
    const folder = write(
      'folder.cnn',
      'model M {\n  input 8x8x1\n  conv 2 3x3\n  gap\n  dense 2\n  train { data "folder:pics" }\n}\n',
    );
    const f = await emitTfjs(folder, path.join(work, 'folder'));
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/error\[CNN6101\]/);
    expect(fs.existsSync(path.join(work, 'folder'))).toBe(false);
  });

  it('is an asynchronous command: the synchronous main refuses it', () => {
    let err = '';
    const code = main(
      ['compile', 'examples/lenet5.cnn', '--emit', 'tfjs', '-o', path.join(work, 's')],
      {
        cwd: REPO,
        env: {},
        stdoutIsTTY: false,
        stderrIsTTY: false,
        host: nodeHost(REPO),
        out: () => {},
        err: (t) => void (err += t),
        writeFile: () => {},
      },
    );
    expect(code).toBe(2);
    expect(err).toMatch(/--emit tfjs runs asynchronously/);
    expect(fs.existsSync(path.join(work, 's'))).toBe(false);
  });

  it('lists tfjs in its help', async () => {
    const r = await runCnnc(['help', 'compile']);
    expect(r.out).toMatch(/--emit tfjs -o DIR/);
  });

  it("follows the output folder rules: own files replaced or removed, the user's kept", async () => {
    const dir = path.join(work, 'project');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const refused = await emitTfjs('examples/inception-module.cnn', dir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is not empty and cnnc did not write it: "notes.txt"/);
    const forced = await emitTfjs('examples/inception-module.cnn', dir, ['--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(fs.existsSync(path.join(dir, 'layers.ts'))).toBe(true);
    // LeNet-5 needs no custom layer: the layers.ts cnnc wrote goes, the user's file stays.
    const again = await emitTfjs('examples/lenet5.cnn', dir);
    expect(again.code, again.err).toBe(0);
    expect(fs.existsSync(path.join(dir, 'layers.ts'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(dir, 'model.ts'), 'utf8')).toMatch(/buildLeNet5/);
  });

  it('leaves a detector out of train.ts (CNN6102); a file of detectors only gets no train.ts', async () => {
    const dir = path.join(work, 'detector');
    const r = await emitTfjs('examples/detection/shapes-detector.cnn', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /warning\[CNN6102\]: train\.ts trains classifiers; ShapesDetector is a detector/,
    );
    const files = fs.readdirSync(dir).sort();
    expect(files).toContain('model.ts');
    for (const f of ['train.ts', 'outputs.ts', 'optimizer.ts', 'data.ts', 'augment.ts'])
      expect(files).not.toContain(f);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.scripts)).toEqual(['build', 'typecheck']);
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/`ShapesDetector` is a detector, so this project has no train\.ts/);
    expect(readme).toMatch(/npx cnnc train shapes-detector\.cnn --model ShapesDetector/);
    // Beside a classifier, the classifier alone is in train.ts.
    const both = write(
      'both.cnn',
      'model C {\n  input 8x8x1\n  flatten\n  dense 3\n}\n' +
        'model D {\n  input 8x8x3\n  conv 14 1x1\n  yolo 2 anchors (8, 8, 16, 16) stride 1\n}\n',
    );
    const mixed = await emitTfjs(both, path.join(work, 'mixed'));
    expect(mixed.code, mixed.err).toBe(0);
    expect(mixed.err).toMatch(/warning\[CNN6102\]/);
    const train = fs.readFileSync(path.join(work, 'mixed', 'train.ts'), 'utf8');
    expect(train).toMatch(/new Map<string, Settings>\(\[\s*\[\s*'C',/);
    expect(train).not.toMatch(/\['D',/);
    expect(fs.readFileSync(path.join(work, 'mixed', 'README.md'), 'utf8')).toMatch(
      /train\.ts leaves out `D`/,
    );
  });
});
