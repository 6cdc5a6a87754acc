/**
 * `npm run package:vscode`: the VS Code extension of editors/vscode as a .vsix, offline.
 *
 * 1. esbuild bundles the extension (editors/vscode/src/extension.ts) with vscode-languageclient into
 *    one CommonJS file, dist/extension.js, that needs nothing at run time but VS Code's `vscode`
 *    module and Node's built-ins (checked below);
 * 2. @vscode/vsce 3.9 packages the folder with `--no-dependencies` (4.x needs Node 22);
 * 3. the .vsix is read back: the files an extension needs are in it, and nothing else.
 *
 * Prints the .vsix's path, size and files. `--out DIR` puts the .vsix in DIR (default:
 * editors/vscode/dist).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../compiler/cli/host.js';
import { zipEntries } from './zip-entries.js';

export const EXTENSION_DIR = path.join(packageRoot(), 'editors', 'vscode');

/** What the .vsix must hold, under `extension/` (vsce writes the readme's name in lower case). */
export const REQUIRED_FILES = [
  'package.json',
  'readme.md',
  'language-configuration.json',
  'syntaxes/cnn.tmLanguage.json',
  'dist/extension.js',
];

/** The modules the bundle loads at run time that it does not contain. */
export function externalRequires(bundle: string): string[] {
  return [
    ...new Set([...bundle.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1])),
  ].sort();
}

export async function packageExtension(outDir: string): Promise<{ vsix: string; files: string[] }> {
  const bundleFile = path.join(EXTENSION_DIR, 'dist', 'extension.js');
  await build({
    entryPoints: [path.join(EXTENSION_DIR, 'src', 'extension.ts')],
    outfile: bundleFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node18',
    external: ['vscode'],
    minify: true,
    logLevel: 'warning',
  });
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const stray = externalRequires(fs.readFileSync(bundleFile, 'utf8')).filter(
    (m) => m !== 'vscode' && !builtins.has(m),
  );
  if (stray.length)
    throw new Error(`the bundle loads modules it does not contain: ${stray.join(', ')}`);

  const pkg = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  fs.mkdirSync(outDir, { recursive: true });
  const vsix = path.join(outDir, `${pkg.name}-${pkg.version}.vsix`);
  const vsce = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')),
    'vsce',
  );
  const args = ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository'];
  const r = spawnSync(process.execPath, [vsce, ...args, '--out', vsix], {
    cwd: EXTENSION_DIR,
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);

  const files = zipEntries(fs.readFileSync(vsix))
    .filter((f) => f.startsWith('extension/'))
    .map((f) => f.slice('extension/'.length))
    .sort();
  const missing = REQUIRED_FILES.filter((f) => !files.includes(f));
  const extra = files.filter(
    (f) => /(^|\/)(src|node_modules)\//.test(f) || f.endsWith('.ts') || f.endsWith('.vsix'),
  );
  if (missing.length || extra.length)
    throw new Error(
      `the .vsix is wrong: missing ${missing.join(', ') || 'nothing'}; should not hold ${extra.join(', ') || 'nothing'}`,
    );
  return { vsix, files };
}

const invoked = process.argv[1] && path.resolve(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const outDir = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(EXTENSION_DIR, 'dist');
  const { vsix, files } = await packageExtension(outDir);
  const kib = fs.statSync(vsix).size / 1024;
  console.log(
    `${path.relative(process.cwd(), vsix)}: ${kib.toFixed(1)} KiB, ${files.length} files`,
  );
  for (const f of files) console.log(`  ${f}`);
}
