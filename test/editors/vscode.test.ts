/**
 * editors/vscode: the manifest and language configuration, the bundled client (it loads with only
 * VS Code's `vscode` module, and finds cnnc where it should) and the .vsix that
 * `npm run package:vscode` makes (scripts/package-vscode.ts), read back.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findServer } from '../../editors/vscode/src/find-server.js';
import {
  EXTENSION_DIR,
  externalRequires,
  packageExtension,
  REQUIRED_FILES,
} from '../../scripts/package-vscode.js';

const read = (f: string) =>
  JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, f), 'utf8')) as Record<string, unknown>;

interface Manifest {
  main: string;
  engines: { vscode: string };
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
  };
}

describe('the extension’s manifest', () => {
  it('contributes the cnn language, its configuration and its grammar, files that exist', () => {
    const m = read('package.json') as unknown as Manifest;
    expect(m.contributes.languages).toEqual([
      expect.objectContaining({ id: 'cnn', extensions: ['.cnn'] }),
    ]);
    expect(m.contributes.grammars).toEqual([
      expect.objectContaining({ language: 'cnn', scopeName: 'source.cnn' }),
    ]);
    for (const f of [m.contributes.languages[0].configuration, m.contributes.grammars[0].path])
      expect(fs.existsSync(path.join(EXTENSION_DIR, f)), f).toBe(true);
    // vscode-languageclient 11 needs VS Code 1.91.
    expect(m.engines.vscode).toBe('^1.91.0');
  });

  it('configures comments, brackets and auto-closing pairs', () => {
    const c = read('language-configuration.json') as {
      comments: unknown;
      brackets: unknown;
      autoClosingPairs: { open: string }[];
    };
    expect(c.comments).toEqual({ lineComment: '//', blockComment: ['/*', '*/'] });
    expect(c.brackets).toEqual([
      ['{', '}'],
      ['(', ')'],
    ]);
    expect(c.autoClosingPairs.map((p) => p.open)).toEqual(['{', '(', '"', '/*']);
  });
});

describe('npm run package:vscode', () => {
  let vsix: string;
  let files: string[];
  beforeAll(async () => {
    ({ vsix, files } = await packageExtension(
      fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-vsix-')),
    ));
  }, 120_000);

  it('makes a .vsix with the manifest, the grammar, the configuration and the bundled client only', () => {
    expect(files).toEqual([...REQUIRED_FILES].sort());
    expect(fs.statSync(vsix).size).toBeLessThan(512 * 1024);
  });

  it('bundles the client so that it needs only `vscode` and Node’s built-ins', () => {
    const bundle = fs.readFileSync(path.join(EXTENSION_DIR, 'dist', 'extension.js'), 'utf8');
    const builtins = new Set<string>(builtinModules);
    const outside = externalRequires(bundle).filter(
      (m) => m !== 'vscode' && !builtins.has(m.replace(/^node:/, '')),
    );
    expect(outside).toEqual([]);
  });
});

describe('the cnnc the extension starts', () => {
  const main = path.join('dist', 'compiler', 'cli', 'main.js');
  const has =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);
  it.each([
    [
      'the configured main.js',
      '/opt/cnnc/dist/compiler/cli/main.js',
      ['/w'],
      has(),
      { module: '/opt/cnnc/dist/compiler/cli/main.js' },
    ],
    ['the configured executable', '/usr/bin/cnnc', ['/w'], has(), { command: '/usr/bin/cnnc' }],
    [
      'the workspace’s node_modules/cnnc',
      '',
      ['/w'],
      has(path.join('/w', 'node_modules', 'cnnc', main)),
      { module: path.join('/w', 'node_modules', 'cnnc', main) },
    ],
    [
      'a cnnc checkout',
      '',
      ['/repo'],
      has(path.join('/repo', main), path.join('/repo', 'stdlib')),
      { module: path.join('/repo', main) },
    ],
    ['nothing', '', ['/w'], has(), undefined],
  ] as const)('%s', (_what, configured, folders, exists, expected) => {
    expect(findServer(configured, folders, exists)).toEqual(expected);
  });
});
