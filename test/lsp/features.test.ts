/**
 * The language features of `cnnc lsp`, over the protocol: hover, completion, inlay hints, go to
 * definition, document symbols, semantic tokens, formatting and quick fixes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCnn } from '../../compiler/format/index.js';
import { expectBaseline } from '../helpers/baseline.js';
import { REPO } from '../helpers/memory-host.js';
import { LspClient, fileUri, positionOf } from './client.js';

interface Pos {
  line: number;
  character: number;
}
interface Range {
  start: Pos;
  end: Pos;
}

let client: LspClient;
let dir: string;
let initialized: {
  capabilities: {
    semanticTokensProvider: { legend: { tokenTypes: string[]; tokenModifiers: string[] } };
  };
};

const LENET = path.join(REPO, 'examples', 'lenet5.cnn');
const RESNET = path.join(REPO, 'stdlib', 'resnet.cnn');
const DIGITS = path.join(REPO, 'examples', 'resnet-digits.cnn');
const TRANSFER = path.join(REPO, 'examples', 'transfer', 'fine-tuned.cnn');

async function open(
  file: string,
  text = fs.readFileSync(file, 'utf8'),
): Promise<{ uri: string; text: string }> {
  const uri = fileUri(file);
  const published = client.next<{ uri: string }>(
    'textDocument/publishDiagnostics',
    (p) => p.uri === uri,
  );
  client.notify('textDocument/didOpen', {
    textDocument: { uri, languageId: 'cnn', version: 1, text },
  });
  await published;
  return { uri, text };
}

function at(uri: string, position: Pos) {
  return { textDocument: { uri }, position };
}

const whole = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-lsp-'));
  client = new LspClient();
  initialized = (await client.initialize()) as typeof initialized;
});
afterAll(async () => {
  await client.shutdown();
});

describe('hover', () => {
  it('on a layer: its output, parameters, MACs, receptive field and the arithmetic', async () => {
    const { uri, text } = await open(LENET);
    const h = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(uri, positionOf(text, 'conv 6 5x5')),
    );
    expectBaseline('lsp/hover-layer.md', h.contents.value);
    expect(h.contents.value).toContain('| 28x28x6 | 156 | 117,600 | 5x5 /1 |');
    expect(h.contents.value).toContain('floor((32 + 2·0 − 5) / 1) + 1 = 28');
  });

  it('on a block call: the signature and what the call produced', async () => {
    const { uri, text } = await open(RESNET);
    const h = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(uri, positionOf(text, 'basic_stage(128, 2, stride = 2)', 3)),
    );
    expectBaseline('lsp/hover-call.md', h.contents.value);
    expect(h.contents.value).toContain('block basic_stage(c: int, n: int, stride: int = 1)');
  });

  it('on a statement of a block: each call’s figures', async () => {
    const { uri, text } = await open(RESNET);
    const h = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(uri, positionOf(text, 'conv1: conv c 3x3', 8)),
    );
    expect(h.contents.value).toMatch(/^`conv`: 2-D convolution/);
    expect(h.contents.value).toContain('| stage1.0.conv1 | 56x56x64 | 36,864 | 115,605,504 |');
  });

  it('on an import: the file it reads and what that defines', async () => {
    const { uri, text } = await open(DIGITS);
    const h = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(uri, positionOf(text, 'import resnet', 8)),
    );
    expect(h.contents.value).toContain('reads **stdlib/resnet.cnn**');
    expect(h.contents.value).toContain(
      'models: ResNet18, ResNet34, ResNet50, ResNet101, ResNet152',
    );
    expect(h.contents.value).toContain('block basic(c: int, stride: int = 1)');
  });

  it('on a model’s name: its totals', async () => {
    const { uri, text } = await open(LENET);
    const h = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(uri, positionOf(text, 'LeNet5 {', 1)),
    );
    expect(h.contents.value).toContain('input 32x32x1 → output 10');
    expect(h.contents.value).toContain('| 61,706 | 61,706 |');
  });

  it('nowhere in particular: nothing', async () => {
    const { uri } = await open(LENET);
    expect(
      await client.request('textDocument/hover', at(uri, { line: 0, character: 0 })),
    ).toBeNull();
  });
});

describe('inlay hints', () => {
  it('give the output shape at the end of each layer line', async () => {
    const { uri, text } = await open(LENET);
    const hints = await client.request<{ position: Pos; label: string }[]>(
      'textDocument/inlayHint',
      { textDocument: { uri }, range: whole },
    );
    const lines = text.split('\n');
    expectBaseline(
      'lsp/inlay-lenet5.txt',
      hints
        .map((h) => `${lines[h.position.line].slice(0, h.position.character)}  ‹${h.label}›`)
        .join('\n'),
    );
    expect(hints.find((h) => lines[h.position.line].includes('conv 6 5x5'))?.label).toBe('28x28x6');
  });

  it('give each call’s shape on the lines of a block', async () => {
    const { uri, text } = await open(RESNET);
    const hints = await client.request<{ position: Pos; label: string }[]>(
      'textDocument/inlayHint',
      { textDocument: { uri }, range: whole },
    );
    const line = positionOf(text, 'pool: maxpool 3x3 /2 pad 1').line;
    expect(hints.find((h) => h.position.line === line)?.label).toBe('56x56x64');
    const stage2 = positionOf(text, 'stage2: basic_stage(128, 2, stride = 2)').line;
    expect(hints.find((h) => h.position.line === stage2)?.label).toBe('28x28x128');
  });
});

describe('completion', () => {
  async function labels(
    file: string,
    text: string,
    needle: string,
    delta: number,
  ): Promise<string[]> {
    const { uri } = await open(file, text);
    const items = await client.request<{ label: string }[]>(
      'textDocument/completion',
      at(uri, positionOf(text, needle, delta)),
    );
    return items.map((i) => i.label);
  }

  it('at the start of a statement: layers, blocks in scope and statement keywords', async () => {
    const text = 'import resnet\nmodel M {\n  input 32x32x3\n  \n}\n';
    const got = await labels(path.join(dir, 'c1.cnn'), text, '  \n}', 2);
    expect(got).toEqual(
      expect.arrayContaining([
        'conv',
        'dense',
        'maxpool',
        'basic',
        'bottleneck_stage',
        'residual',
        'repeat',
        'train',
      ]),
    );
  });

  it('after a layer: its attributes and flags', async () => {
    const text = 'model M {\n  input 32x32x3\n  conv 64 3x3 \n}\n';
    const got = await labels(path.join(dir, 'c2.cnn'), text, '3x3 \n', 4);
    expect(got).toEqual(
      expect.arrayContaining(['pad', 'stride', 'dilation', 'groups', 'same', 'valid', 'nobias']),
    );
    expect(got).not.toContain('conv');
  });

  it('after a block call: its parameters', async () => {
    const text = 'import resnet\nmodel M {\n  input 32x32x3\n  basic(64, \n}\n';
    const got = await labels(path.join(dir, 'c3.cnn'), text, 'basic(64, ', 10);
    expect(got).toEqual(['c =', 'stride =']);
  });

  it('after freeze and cut: the layer names and scopes of the model', async () => {
    const text = 'import resnet\nmodel M = ResNet18 {\n  freeze \n}\n';
    const got = await labels(path.join(dir, 'c4.cnn'), text, 'freeze \n', 7);
    expect(got).toEqual(
      expect.arrayContaining(['stem', 'stage1', 'stage1.0', 'stage1.0.conv1', 'head.fc']),
    );
  });

  it('in a train block: the settings', async () => {
    const text = 'model M {\n  input 8x8x1\n  dense 2\n  train {\n    \n  }\n}\n';
    const got = await labels(path.join(dir, 'c5.cnn'), text, '    \n  }', 4);
    expect(got).toEqual(
      expect.arrayContaining([
        'optimizer',
        'lr',
        'momentum',
        'epochs',
        'batch',
        'schedule',
        'flip',
        'weights',
      ]),
    );
    expect(got).not.toContain('conv');
  });

  it('at the top of a file, and after import', async () => {
    const top = await labels(path.join(dir, 'c6.cnn'), '\n', '\n', 0);
    expect(top).toEqual(['model', 'block', 'import']);
    const mods = await labels(path.join(dir, 'c7.cnn'), 'import \n', 'import ', 7);
    expect(mods).toEqual(expect.arrayContaining(['resnet', 'vgg', 'lenet']));
  });
});

describe('go to definition', () => {
  async function definition(file: string, needle: string, delta: number) {
    const { uri, text } = await open(file);
    return client.request<{ uri: string; range: Range } | null>(
      'textDocument/definition',
      at(uri, positionOf(text, needle, delta)),
    );
  }
  const lineOf = (file: string, needle: string) =>
    positionOf(fs.readFileSync(file, 'utf8'), needle).line;

  it('of a block call: the block', async () => {
    const d = await definition(RESNET, 'basic_stage(64, 2)', 2);
    expect(d?.uri).toBe(fileUri(RESNET));
    expect(d?.range.start.line).toBe(lineOf(RESNET, 'block basic_stage('));
  });

  it('of an import: the file', async () => {
    const d = await definition(DIGITS, 'import resnet', 8);
    expect(d?.uri).toBe(fileUri(RESNET));
  });

  it('of a base model: the model, in the imported file', async () => {
    const d = await definition(DIGITS, 'ResNet18 {', 2);
    expect([d?.uri, d?.range.start.line]).toEqual([
      fileUri(RESNET),
      lineOf(RESNET, 'model ResNet18'),
    ]);
  });

  it('of a freeze target: the statement labelled with it', async () => {
    const d = await definition(DIGITS, 'freeze stem, stage1', 14);
    expect([d?.uri, d?.range.start.line]).toEqual([
      fileUri(RESNET),
      lineOf(RESNET, 'stage1: basic_stage(64, 2)'),
    ]);
  });

  it('of a layer pattern in a train setting: the layer', async () => {
    const d = await definition(TRANSFER, 'unfreeze block_12_expand lr', 10);
    const base = path.join(REPO, 'examples', 'transfer', 'mobilenet_v2.cnn');
    expect(d?.uri).toBe(fileUri(base));
    const line = fs.readFileSync(base, 'utf8').split('\n')[d!.range.start.line];
    expect(line).toContain('block_12_expand');
  });
});

describe('document symbols', () => {
  it('list the models and blocks with their labelled statements', async () => {
    const { uri } = await open(RESNET);
    type Sym = { name: string; detail: string; children?: Sym[] };
    const syms = await client.request<Sym[]>('textDocument/documentSymbol', {
      textDocument: { uri },
    });
    const show = (s: Sym, depth = 0): string[] => [
      `${'  '.repeat(depth)}${s.name}  ${s.detail}`,
      ...(s.children ?? []).flatMap((c) => show(c, depth + 1)),
    ];
    expectBaseline('lsp/symbols-resnet.txt', syms.flatMap((s) => show(s)).join('\n'));
  });
});

describe('semantic tokens', () => {
  it('tell layers, blocks, models, labels, parameters and flags apart', async () => {
    const text =
      'block b(c: int) {\n  conv c 3x3 same\n}\nmodel M {\n  input 8x8x1 // in\n  stem: b(4)\n}\n';
    const { uri } = await open(path.join(dir, 'st.cnn'), text);
    const legend = initialized.capabilities.semanticTokensProvider.legend;
    const { data } = await client.request<{ data: number[] }>('textDocument/semanticTokens/full', {
      textDocument: { uri },
    });
    const lines = text.split('\n');
    const out: string[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i];
      char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
      const mods = legend.tokenModifiers.filter((_m, k) => data[i + 4] & (1 << k));
      out.push(
        `${lines[line].slice(char, char + data[i + 2])}: ${[legend.tokenTypes[data[i + 3]], ...mods].join(' ')}`,
      );
    }
    expect(out).toEqual([
      'block: keyword', 'b: function declaration', 'c: parameter declaration', 'int: type',
      'conv: function defaultLibrary', 'c: parameter', '3x3: number', 'same: enumMember',
      'model: keyword', 'M: class declaration', 'input: function defaultLibrary', '8x8x1: number',
      '// in: comment', 'stem: property declaration', 'b: function', '4: number',
    ]); // prettier-ignore
  });
});

describe('formatting', () => {
  it('formats the document through prettier-plugin-cnn', async () => {
    const messy = 'model M {\ninput 8x8x1\n   conv 4 3x3  /2,relu\n}\n';
    const { uri } = await open(path.join(dir, 'fmt.cnn'), messy);
    const edits = await client.request<{ range: Range; newText: string }[]>(
      'textDocument/formatting',
      {
        textDocument: { uri },
        options: { tabSize: 2, insertSpaces: true },
      },
    );
    expect(edits).toHaveLength(1);
    expect(edits[0].newText).toBe((await formatCnn(messy, 'fmt.cnn')).formatted);
    expect(edits[0].range.start).toEqual({ line: 0, character: 0 });
  });

  it('leaves a document with syntax errors alone', async () => {
    const { uri } = await open(path.join(dir, 'fmt-bad.cnn'), 'model M {\n  conv 4 3x3 )\n}\n');
    const edits = await client.request('textDocument/formatting', {
      textDocument: { uri },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toEqual([]);
  });
});

describe('quick fixes', () => {
  it('apply a did-you-mean, after which the diagnostic is gone', async () => {
    const file = path.join(dir, 'fix.cnn');
    const text = 'model M {\n  input 8x8x1\n  conb 4 3x3\n  relu\n}\n';
    const { uri } = await open(file, text);
    const range = { start: positionOf(text, 'conb'), end: positionOf(text, 'conb', 4) };
    const actions = await client.request<
      {
        title: string;
        kind: string;
        edit: { changes: Record<string, { range: Range; newText: string }[]> };
      }[]
    >('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } });
    expect(actions.map((a) => [a.title, a.kind])).toEqual([['Change to `conv`', 'quickfix']]);
    const [edit] = actions[0].edit.changes[uri];
    expect(edit).toEqual({ range, newText: 'conv' });
    const fixed = text.replace('conb', 'conv');
    const after = client.next<{ uri: string; version: number; diagnostics: unknown[] }>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri && p.version === 2,
    );
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    expect((await after).diagnostics).toEqual([]);
  });
});
