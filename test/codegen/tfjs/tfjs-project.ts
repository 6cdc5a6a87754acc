/**
 * Shared by the TensorFlow.js code generator's tests: emitting a project through the CLI,
 * type-checking it with the repository's TypeScript (the project folder gets a node_modules link to
 * the repository's, so `@tensorflow/tfjs` resolves to the packages this repository installs), and
 * running it in-process: its .ts files are transpiled (typescript's transpileModule) into a js/
 * folder beside them and imported from there, sharing this process's @tensorflow/tfjs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import type * as Tf from '@tensorflow/tfjs';
import { runCnnc, type CliResult } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';

/** `cnnc compile FILE --emit tfjs -o DIR …`, in-process. */
export function emitTfjs(
  file: string,
  dir: string,
  extra: readonly string[] = [],
  cwd = REPO,
): Promise<CliResult> {
  return runCnnc(['compile', file, '--emit', 'tfjs', '-o', dir, ...extra], cwd);
}

/** Links DIR/node_modules to the repository's (what `npm install` would give the project). */
export function linkNodeModules(dir: string): void {
  const link = path.join(dir, 'node_modules');
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(REPO, 'node_modules'), link, 'dir');
}

/** `tsc -p DIR --noEmit` with the repository's TypeScript; the error text, or null when clean. */
export function typecheck(dir: string): string | null {
  linkNodeModules(dir);
  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', dir, '--noEmit'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${r.stdout}${r.stderr}`;
}

/**
 * One tsc run over every project in the sub-folders of `root` (cheaper than one per project: tsc
 * reads @tensorflow/tfjs's declarations once), with the projects' own compiler options.
 */
export function typecheckAll(root: string): string | null {
  const project = fs
    .readdirSync(root)
    .map((d) => path.join(root, d, 'tsconfig.json'))
    .find((f) => fs.existsSync(f));
  if (!project) throw new Error(`no emitted project under ${root}`);
  const { compilerOptions } = JSON.parse(fs.readFileSync(project, 'utf8')) as {
    compilerOptions: unknown;
  };
  fs.writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, include: ['*/*.ts'] }),
  );
  return typecheck(root);
}

/** Transpiles the project's .ts files into DIR/js (an ES module package) and returns that folder. */
export function transpile(dir: string): string {
  const out = path.join(dir, 'js');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  linkNodeModules(out);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const js = ts.transpileModule(fs.readFileSync(path.join(dir, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: f,
    });
    fs.writeFileSync(path.join(out, f.replace(/\.ts$/, '.js')), js.outputText);
  }
  return out;
}

/** The parts of model.ts the tests use. */
export interface ModelSpec {
  readonly name: string;
  readonly build: (options?: { seed?: number }) => Tf.LayersModel;
  readonly input: readonly (number | null)[];
  readonly renamed: ReadonlyMap<string, string>;
  readonly frozen: readonly string[];
}

export interface LoadedProject {
  readonly MODELS: ReadonlyMap<string, ModelSpec>;
  readonly loadWeights: (model: Tf.LayersModel, spec: ModelSpec, file: string) => void;
  readonly writeSafetensors: (file: string, model: Tf.LayersModel, spec: ModelSpec) => void;
  readonly readWeightsFile: (
    file: string,
  ) => Map<string, { shape: readonly number[]; data: Float32Array }>;
  readonly useBackend: (name: 'wasm' | 'cpu') => Promise<string>;
}

/** Imports a transpiled project (model.js, weights.js, backend.js, io.js). */
export async function loadProject(jsDir: string): Promise<LoadedProject> {
  const load = (f: string) => import(pathToFileURL(path.join(jsDir, f)).href);
  (await load('io.js')).useFileScheme();
  const [model, weights, backend] = await Promise.all([
    load('model.js'),
    load('weights.js'),
    load('backend.js'),
  ]);
  return {
    MODELS: model.MODELS,
    loadWeights: weights.loadWeights,
    writeSafetensors: weights.writeSafetensors,
    readWeightsFile: weights.readWeightsFile,
    useBackend: backend.useBackend,
  } as LoadedProject;
}
