/**
 * `cnnc lsp --stdio` over the protocol, as an editor drives it: initialize, open, change, close,
 * shutdown and exit; diagnostics with the codes and spans of `cnnc check`; open buffers in place of
 * the files on disk.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCnnc } from '../helpers/cli.js';
import { LspClient, fileUri } from './client.js';

interface PublishedDiagnostic {
  readonly range: {
    start: { line: number; character: number };
    end: { line: number; character: number };
  };
  readonly code: string;
  readonly severity: number;
  readonly message: string;
  readonly source: string;
  readonly relatedInformation?: { location: { uri: string; range: unknown }; message: string }[];
}
interface Published {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: PublishedDiagnostic[];
}

const BAD = [
  'block twice(c: int) {',
  '  conv c 3x3 same, relu',
  '}',
  'model Bad {',
  '  input 5x5x1',
  '  maxpool 2x2 /2',
  '  conv 4 7x7',
  '  conb 3x3',
  '  twice(8)',
  '}',
  '',
].join('\n');

let dir: string;
let client: LspClient;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-lsp-'));
  client = new LspClient(dir);
  await client.initialize();
});
afterAll(() => client.kill());

function open(name: string, text: string, version = 1): Promise<Published> {
  const file = path.join(dir, name);
  const uri = fileUri(file);
  const published = client.next<Published>(
    'textDocument/publishDiagnostics',
    (p) => p.uri === uri && p.version === version,
  );
  client.notify('textDocument/didOpen', {
    textDocument: { uri, languageId: 'cnn', version, text },
  });
  return published;
}

describe('cnnc lsp', () => {
  it('answers initialize with the features it serves', async () => {
    const c = new LspClient(dir);
    const r = (await c.initialize()) as { capabilities: Record<string, unknown> };
    expect(Object.keys(r.capabilities).sort()).toEqual([
      'codeActionProvider', 'completionProvider', 'definitionProvider', 'documentFormattingProvider',
      'documentSymbolProvider', 'hoverProvider', 'inlayHintProvider', 'semanticTokensProvider',
      'textDocumentSync',
    ]); // prettier-ignore
    expect(await c.shutdown()).toBe(0);
  });

  it('publishes the diagnostics of cnnc check, at the same places, with their labels, notes and help', async () => {
    fs.writeFileSync(path.join(dir, 'bad.cnn'), BAD);
    const check = await runCnnc(['check', '--format', 'json', 'bad.cnn'], dir);
    const expected = (
      JSON.parse(check.out) as {
        code: string;
        line: number;
        col: number;
        endLine: number;
        endCol: number;
      }[]
    ).map((d) => [d.code, d.line - 1, d.col - 1, d.endLine - 1, d.endCol - 1]);
    const published = await open('bad.cnn', BAD);
    const got = published.diagnostics.map((d) => [
      d.code,
      d.range.start.line,
      d.range.start.character,
      d.range.end.line,
      d.range.end.character,
    ]);
    expect(got).toEqual(expected);
    expect(got.map((g) => g[0])).toEqual(expect.arrayContaining(['CNN3001', 'CNN2001']));
    const kernel = published.diagnostics.find((d) => d.code === 'CNN3001')!;
    expect(kernel.source).toBe('cnnc');
    expect(kernel.severity).toBe(1);
    const related = kernel.relatedInformation!.map((r) => r.message);
    expect(related.some((m) => m.startsWith('note: '))).toBe(true);
    expect(related.some((m) => m.startsWith('help: '))).toBe(true);
    // The secondary label points at the pool that shrank the input.
    const label = kernel.relatedInformation!.find(
      (r) => !/^(note|help): /.test(r.message) && r.location.range !== undefined,
    );
    expect(label).toBeDefined();
  });

  it('publishes new diagnostics after an incremental change, for that version', async () => {
    const text = 'model M {\n  input 8x8x1\n  conv 4 3x3\n}\n';
    const first = await open('change.cnn', text);
    expect(first.diagnostics).toEqual([]);
    const uri = fileUri(path.join(dir, 'change.cnn'));
    const next = client.next<Published>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri && p.version === 2,
    );
    // `3x3` → `9x9`: larger than the 8x8 input.
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [
        {
          range: { start: { line: 2, character: 9 }, end: { line: 2, character: 12 } },
          text: '9x9',
        },
      ],
    });
    expect((await next).diagnostics.map((d) => [d.code, d.range.start.line])).toEqual([
      ['CNN3001', 2],
    ]);
  });

  it('reads an open buffer instead of the file on disk, and re-checks the files that import it', async () => {
    fs.writeFileSync(
      path.join(dir, 'layers.cnn'),
      'block unit(c: int) {\n  conv c 3x3 same, relu\n}\n',
    );
    const main = 'import "./layers.cnn"\nmodel M {\n  input 8x8x1\n  unit(4)\n  pair(4)\n}\n';
    const before = await open('main.cnn', main);
    expect(before.diagnostics.map((d) => d.code)).toEqual(['CNN2001']); // no block `pair` on disk
    const mainUri = fileUri(path.join(dir, 'main.cnn'));
    const again = client.next<Published>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === mainUri,
    );
    // The editor's buffer of layers.cnn defines `pair`; the disk file does not.
    await open(
      'layers.cnn',
      'block unit(c: int) {\n  conv c 3x3 same, relu\n}\nblock pair(c: int) {\n  unit(c)\n  unit(c)\n}\n',
    );
    expect((await again).diagnostics).toEqual([]);
  });

  it('re-checks two open files that import each other once after a change, not forever', async () => {
    const a = 'import "./cyc-b.cnn"\nblock a1() {\n  relu\n}\n';
    const b = 'import "./cyc-a.cnn"\nblock b1() {\n  relu\n}\n';
    await open('cyc-a.cnn', a);
    await open('cyc-b.cnn', b);
    const uriA = fileUri(path.join(dir, 'cyc-a.cnn'));
    const uriB = fileUri(path.join(dir, 'cyc-b.cnn'));
    const seen: string[] = [];
    const off = client.on('textDocument/publishDiagnostics', (p) =>
      seen.push((p as Published).uri),
    );
    const bAgain = client.next<Published>('textDocument/publishDiagnostics', (p) => p.uri === uriB);
    client.notify('textDocument/didChange', {
      textDocument: { uri: uriA, version: 2 },
      contentChanges: [{ text: `${a}block a2() {\n  tanh\n}\n` }],
    });
    await bAgain;
    // Requests are answered in order, after any checking the change set off.
    for (let i = 0; i < 5; i++)
      await client.request('textDocument/documentSymbol', { textDocument: { uri: uriA } });
    off();
    expect(seen).toEqual([uriA, uriB]);
  });

  it('clears the diagnostics of a closed document', async () => {
    const uri = fileUri(path.join(dir, 'bad.cnn'));
    const cleared = client.next<Published>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri && p.diagnostics.length === 0,
    );
    client.notify('textDocument/didClose', { textDocument: { uri } });
    expect((await cleared).diagnostics).toEqual([]);
  });

  it('checks a buffer that is not a file yet', async () => {
    const uri = 'untitled:Untitled-1';
    const published = client.next<Published>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri,
    );
    client.notify('textDocument/didOpen', {
      textDocument: {
        uri,
        languageId: 'cnn',
        version: 1,
        text: 'import resnet\nmodel M = ResNet18 {\n  input 64x64x1\n}\n',
      },
    });
    expect((await published).diagnostics).toEqual([]);
  });

  it('exits 0 after shutdown and exit', async () => {
    const c = new LspClient(dir);
    await c.initialize();
    expect(await c.shutdown()).toBe(0);
  });
});
