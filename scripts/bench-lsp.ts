/**
 * `npm run bench`, language server: how long after a keystroke `cnnc lsp` publishes the diagnostics
 * of a 1,000-line file, warm. A spawned server, driven over JSON-RPC as an editor drives it: each
 * keystroke is an incremental didChange (a layer's size typed over), timed until the
 * publishDiagnostics of that version arrives.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from './lsp-client.js';

/** A 1,000-line file: a block, then a model of commented residual blocks and calls. */
export function thousandLines(): string {
  const lines = [
    'import resnet',
    'block unit(c: int) {',
    '  conv c 3x3 same, bn, relu',
    '}',
    'model Big {',
  ];
  lines.push('  input 64x64x16');
  for (let i = 0; lines.length < 996; i++) {
    lines.push(`  // block ${i}`);
    lines.push(`  b${i}: residual { conv 16 3x3 same, bn, relu; conv 16 3x3 same, bn }`);
    lines.push('  unit(16)');
  }
  lines.push('  gap', '  dense 10', '}');
  return `${lines.join('\n')}\n`;
}

interface Published {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: readonly unknown[];
}

/** Milliseconds from didChange to its diagnostics, one per measured keystroke. */
export async function keystrokeLatencies(
  cli: string,
  nodeOptions: readonly string[],
  warmup = 20,
  runs = 60,
): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-bench-lsp-'));
  const file = path.join(dir, 'big.cnn');
  const text = thousandLines();
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const client = new LspClient(cli, dir, nodeOptions);
  try {
    await client.request('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    client.notify('initialized', {});
    const opened = client.next<Published>('textDocument/publishDiagnostics', (p) => p.uri === uri);
    client.notify('textDocument/didOpen', {
      textDocument: { uri, languageId: 'cnn', version: 1, text },
    });
    await opened;
    const lines = text.split('\n');
    const line = lines.indexOf('  dense 10');
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const version = i + 2;
      // Type over the last digit of `dense 10`: 10 → 11 → 10 …
      const digit = String(i % 2 === 0 ? 1 : 0);
      const published = client.next<Published>(
        'textDocument/publishDiagnostics',
        (p) => p.uri === uri && p.version === version,
      );
      const start = performance.now();
      client.notify('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [
          { range: { start: { line, character: 9 }, end: { line, character: 10 } }, text: digit },
        ],
      });
      await published;
      if (i >= warmup) times.push(performance.now() - start);
    }
    await client.request('shutdown', null);
    client.notify('exit', null);
    await client.exited;
    return times;
  } finally {
    client.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
