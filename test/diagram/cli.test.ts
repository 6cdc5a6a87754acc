/** `cnnc diagram`: the files it writes, and its usage and model errors. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINES_DIR } from '../helpers/baseline.js';
import { cli } from '../cli/run-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-diagram-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const out = (name: string) => path.join(dir, name);

describe('cnnc diagram', () => {
  it('writes the SVG (the golden file) and says so', () => {
    const r = cli(['diagram', 'examples/lenet5.cnn', '-o', out('lenet.svg')]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toBe(`wrote ${out('lenet.svg')}\n`);
    expect(fs.readFileSync(out('lenet.svg'), 'utf8')).toBe(
      fs.readFileSync(path.join(BASELINES_DIR, 'diagram/lenet5.svg'), 'utf8'),
    );
  });

  it('writes a self-contained HTML page', () => {
    const r = cli(['diagram', 'stdlib/resnet.cnn', '--model', 'ResNet152', '--out', out('r.html')]);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(out('r.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="cnnc-diagram"');
    expect(html).toContain('var dagre=');
    expect(html).not.toMatch(/sourceMappingURL|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.match(/<g class="box (layer|scope)/g)).toHaveLength(7);
  });

  it('--expand opens a scope', () => {
    const r = cli([
      'diagram',
      'stdlib/resnet.cnn',
      '--model',
      'ResNet152',
      '--expand',
      'stage4',
      '-o',
      out('r4.svg'),
    ]);
    expect(r.code).toBe(0);
    const svg = fs.readFileSync(out('r4.svg'), 'utf8');
    expect(svg).toContain('data-scope="stage4.2"');
    expect(svg).toContain('<g class="cluster" data-scope="stage4">');
  });

  it.each([
    [['examples/lenet5.cnn'], /needs -o/],
    [['examples/lenet5.cnn', '-o', 'x.png'], /\.svg or \.html/],
    [['examples/lenet5.cnn', 'examples/yardstick.cnn', '-o', 'x.svg'], /exactly one/],
    [['stdlib/resnet.cnn', '-o', 'x.svg'], /defines 9 models .*choose one with --model/],
    [
      ['stdlib/resnet.cnn', '--model', 'ResNet18', '--expand', 'stgae2', '-o', 'x.svg'],
      /no scope "stgae2" in ResNet18; did you mean "stage2"\?/,
    ],
  ])('usage error: %j', (args, message) => {
    const r = cli(['diagram', ...args.map((a) => (a.startsWith('x.') ? out(a) : a))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(fs.existsSync(out('x.svg'))).toBe(false);
  });

  it('a model with errors: exit 1, its diagnostics, and no file', () => {
    const bad = out('bad.cnn');
    fs.writeFileSync(bad, 'model M {\n  input 4x4x1\n  conv 8 7x7\n}\n');
    const r = cli(['diagram', bad, '-o', out('bad.svg')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('CNN3001');
    expect(fs.existsSync(out('bad.svg'))).toBe(false);
  });
});
