import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/memory-host.js';
import { expectBaseline } from '../helpers/baseline.js';
import { cli } from './run-cli.js';

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-'));
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const BAD = 'model M {\n  input 5x5x1\n  conv 4 7x7\n  conv2 3\n}\n';
const WARN = 'model M {\n  input 224x224x3\n  conv 96 11x11 /4\n}\n';

describe('cnnc check', () => {
  it.each([
    ['a clean file', ['check', 'examples/lenet5.cnn'], 0],
    [
      'several files',
      ['check', 'examples/lenet5.cnn', 'examples/small-vgg.cnn', 'stdlib/resnet.cnn'],
      0,
    ],
    ['a stdlib module by name', ['check', 'vgg'], 0],
    ['a missing file', ['check', 'examples/nope.cnn'], 1],
    ['no file', ['check'], 2],
    ['an unknown option', ['check', '--frobnicate', 'examples/lenet5.cnn'], 2],
    ['a bad format', ['check', '--format', 'xml', 'examples/lenet5.cnn'], 2],
    ['a bad budget value', ['check', '--max-params', 'lots', 'examples/lenet5.cnn'], 2],
    ['a budget that fails', ['check', '--max-params', '60K', 'examples/lenet5.cnn'], 1],
    [
      'a budget that holds',
      ['check', '--max-params', '62K', '--max-macs', '1M', 'examples/lenet5.cnn'],
      0,
    ],
    [
      'a memory budget at a batch',
      ['check', '--max-memory', '1MiB', '--batch', '64', 'examples/lenet5.cnn'],
      1,
    ],
  ])('%s exits %i', (_what, args, code) => {
    expect(cli(args as string[]).code).toBe(code);
  });

  it('exits 1 with errors and reports them all', () => {
    const r = cli(['check', tmpFile('bad.cnn', BAD)]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('CNN3001');
    expect(r.out).toContain('CNN2001');
  });

  it('exits 0 on warnings, 1 with --strict', () => {
    const f = tmpFile('warn.cnn', WARN);
    expect(cli(['check', f]).code).toBe(0);
    const strict = cli(['check', '--strict', f]);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('error[CNN3003]');
  });

  it.each(['short', 'json', 'sarif', 'github'])('prints --format %s', (format) => {
    const r = cli(['check', '--format', format, 'test/fixtures/cli/bad.cnn']);
    expect(r.code).toBe(1);
    expectBaseline(`cli/check-${format}.txt`, r.out);
  });

  it('prints the pretty format with code frames and no colour when not a TTY', () => {
    const r = cli(['check', 'test/fixtures/cli/bad.cnn']);
    expect(r.out).not.toContain('\u001b[');
    expectBaseline('cli/check-pretty.txt', r.out);
  });

  it('prints valid SARIF and JSON for a clean file', () => {
    const sarif = JSON.parse(cli(['check', '--format', 'sarif', 'examples/lenet5.cnn']).out);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toEqual([]);
    expect(JSON.parse(cli(['check', '--format', 'json', 'examples/lenet5.cnn']).out)).toEqual([]);
  });
});

describe('cnnc summary', () => {
  it('prints exactly one JSON object of the documented form', () => {
    const r = cli(['summary', 'stdlib/resnet.cnn', '--model', 'ResNet50', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      model: 'ResNet50',
      input: [224, 224, 3],
      output: [1000],
      params: { total: 25_557_032, trainable: 25_557_032, frozen: 0 },
      buffers: 53_120,
      macs: 4_089_184_256,
    });
    expect(j.layers[1]).toMatchObject({ op: 'conv2d', frozen: false });
    expect(j.layers[1].source).toMatch(/^stdlib\/resnet\.cnn:\d+:\d+$/);
    for (const key of ['name', 'op', 'output', 'params', 'macs', 'frozen', 'source'])
      expect(j.layers[1]).toHaveProperty(key);
  });

  it('asks for --model with --json when a file has several models', () => {
    expect(cli(['summary', 'stdlib/resnet.cnn', '--json']).code).toBe(2);
  });

  it('reports frozen parameters of a derived model', () => {
    const j = JSON.parse(cli(['summary', 'examples/resnet-digits.cnn', '--json']).out);
    expect(j.params.frozen).toBeGreaterThan(0);
    expect(j.params.trainable + j.params.frozen).toBe(j.params.total);
    expect(j.output).toEqual([10]);
  });

  it.each([
    ['lenet5', ['summary', 'examples/lenet5.cnn']],
    ['lenet5-explain', ['summary', 'examples/lenet5.cnn', '--explain']],
    ['any-size', ['summary', 'examples/any-size.cnn']],
    [
      'alexnet-original-explain',
      ['summary', 'stdlib/alexnet.cnn', '--model', 'AlexNetOriginal', '--explain'],
    ],
    ['resnet18', ['summary', 'stdlib/resnet.cnn', '--model', 'ResNet18', '--batch', '32']],
    ['resnet-digits', ['summary', 'examples/resnet-digits.cnn']],
  ])('golden table: %s', (name, args) => {
    const r = cli(args);
    expect(r.code).toBe(0);
    expectBaseline(`summary/${name}.txt`, r.out);
  });

  it('shows the arithmetic with --explain', () => {
    const r = cli(['summary', 'stdlib/alexnet.cnn', '--model', 'AlexNetOriginal', '--explain']);
    expect(r.out).toContain('floor((227 + 2·0 − 11) / 4) + 1 = 55');
  });
});

describe('cnnc compile', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(
    JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'ir.schema.json'), 'utf8')),
  );

  it.each([
    ['stdlib/resnet.cnn', 'ResNet50'],
    ['stdlib/inception.cnn', 'GoogLeNet'],
    ['stdlib/alexnet.cnn', 'AlexNetOriginal'],
    ['examples/any-size.cnn', undefined],
    ['examples/text-cnn.cnn', undefined],
    ['examples/resnet-digits.cnn', undefined],
    ['examples/unet-upsample.cnn', undefined],
    ['examples/two-heads.cnn', undefined],
  ])('emits IR for %s %s that validates against docs/ir.schema.json', (file, model) => {
    const r = cli(['compile', file, '--emit', 'ir', ...(model ? ['--model', model] : [])]);
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.out);
    const ok = validate(ir);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(ok).toBe(true);
    expect(ir.irVersion).toBe(1);
  });

  it('writes -o atomically and leaves nothing behind on errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-'));
    const out = path.join(dir, 'ir.json');
    expect(cli(['compile', 'examples/lenet5.cnn', '--emit', 'ir', '-o', out]).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).model).toBe('LeNet5');
    const bad = path.join(dir, 'bad.json');
    expect(cli(['compile', tmpFile('bad.cnn', BAD), '--emit', 'ir', '-o', bad]).code).toBe(1);
    expect(fs.existsSync(bad)).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['ir.json']);
  });

  it('rejects an unknown --emit', () => {
    expect(cli(['compile', 'examples/lenet5.cnn', '--emit', 'onnx']).code).toBe(2);
  });
});

describe('cnnc', () => {
  it('prints help and version', () => {
    expect(cli(['--help']).out).toContain('commands:');
    expect(cli(['check', '--help']).out).toContain('--max-params');
    expect(cli(['--version']).out).toMatch(/^cnnc \d+\.\d+\.\d+/);
    expect(cli([]).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
  });
});
