/** The LSP client of the tests: scripts/lsp-client.ts against this checkout's built CLI. */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient as Client } from '../../scripts/lsp-client.js';
import { REPO } from '../helpers/memory-host.js';

export const CLI = path.join(REPO, 'dist', 'compiler', 'cli', 'main.js');

export class LspClient extends Client {
  constructor(cwd = REPO) {
    super(CLI, cwd);
  }
}

export function fileUri(p: string): string {
  return pathToFileURL(p).href;
}

/** Where `needle` (its `nth` occurrence, 0-based) starts in `text`, as an LSP position (+ `delta` characters). */
export function positionOf(
  text: string,
  needle: string,
  delta = 0,
  nth = 0,
): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, at + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
