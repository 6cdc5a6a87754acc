#!/usr/bin/env node
/**
 * The cnnc command line: the only code that touches the process (argv, streams, exit codes).
 * Commands are functions of (argv, Io) returning an exit code, so tests run them in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { internalError } from '../program.js';
import { writeFileAtomic } from '../../runtime/safe-write.js';
import { UsageError } from './args.js';
import { CHECK_HELP, runCheck } from './check.js';
import { COMPILE_HELP, runCompile } from './compile.js';
import { DIAGRAM_HELP, runDiagram } from './diagram.js';
import { DIFF_HELP, runDiff } from './diff.js';
import { printDiagnostics } from './common.js';
import { nodeHost, packageRoot } from './host.js';
import type { ExitCode, Io } from './io.js';
import { SUMMARY_HELP, runSummary } from './summary.js';
import { WEIGHTS_HELP, runWeights } from './weights.js';
import { IMPORT_HELP, runImport } from './import.js';

const COMMANDS: Record<
  string,
  { run: (argv: readonly string[], io: Io) => ExitCode; help: string }
> = {
  check: { run: runCheck, help: CHECK_HELP },
  summary: { run: runSummary, help: SUMMARY_HELP },
  compile: { run: runCompile, help: COMPILE_HELP },
  weights: { run: runWeights, help: WEIGHTS_HELP },
  import: { run: runImport, help: IMPORT_HELP },
  diagram: { run: runDiagram, help: DIAGRAM_HELP },
  diff: { run: runDiff, help: DIFF_HELP },
};

/** Commands that run TensorFlow.js and so are asynchronous; `mainAsync` runs them. */
type AsyncCommand = {
  readonly run: (argv: readonly string[], io: Io) => Promise<ExitCode>;
  readonly help: string;
};

/**
 * The asynchronous commands (TensorFlow.js, the reference executor, data): loaded on first use, so
 * that `cnnc check` does not pay for loading the runtime.
 */
const ASYNC_COMMANDS: Record<string, () => Promise<AsyncCommand>> = {
  train: () => import('./train.js').then((m) => ({ run: m.runTrain, help: m.TRAIN_HELP })),
  evaluate: () =>
    import('./evaluate.js').then((m) => ({ run: m.runEvaluate, help: m.EVALUATE_HELP })),
  predict: () => import('./predict.js').then((m) => ({ run: m.runPredict, help: m.PREDICT_HELP })),
  run: () => import('./run.js').then((m) => ({ run: m.runRun, help: m.RUN_HELP })),
  bench: () => import('./bench.js').then((m) => ({ run: m.runBench, help: m.BENCH_HELP })),
  verify: () => import('./verify.js').then((m) => ({ run: m.runVerify, help: m.VERIFY_HELP })),
  fmt: () => import('./fmt.js').then((m) => ({ run: m.runFmt, help: m.FMT_HELP })),
  lsp: () => import('./lsp.js').then((m) => ({ run: m.runLsp, help: m.LSP_HELP })),
  data: () => import('./data.js').then((m) => ({ run: m.runData, help: m.DATA_HELP })),
  // Also a synchronous command (--emit ir|pytorch); --emit tfjs formats with prettier.
  compile: () =>
    import('./compile.js').then((m) => ({ run: m.runCompileAsync, help: m.COMPILE_HELP })),
};

export const MAIN_HELP = `cnnc — a compiler for .cnn network descriptions

usage: cnnc <command> [options]

commands:
  check FILES...     check shapes, parameters, MACs, memory and budgets
  summary FILE       per-layer table: output shape, parameters, MACs, receptive field
  compile FILE       compile a model to the IR or a PyTorch or TF.js project (--emit ir|pytorch|tfjs)
  diagram FILE       draw a model as SVG or a self-contained HTML page (-o model.svg|.html)
  diff OLD NEW       what changed between two versions of a model (or --git REV)
  train FILE         train a model (MNIST by default), checkpoint every epoch, print test metrics
  evaluate FILE      test metrics of a checkpoint (--weights DIR)
  predict FILE IMG…  top classes of images (.npy or IDX) with a checkpoint (--weights DIR)
  weights plan FILE  which weights a file provides (--from FILE, --map torchvision)
  import keras JSON  a Keras / TensorFlow.js layers model to a .cnn file and its weights
  run FILE           one forward pass on a .npy array (--weights FILE --input X.npy)
  bench FILE         training and inference images/s on synthetic data (--backend, --batch, --json)
  verify FILE        compare the tfjs lowering with the reference executor (outputs, loss, gradients)
  fmt FILES...       format .cnn files in place (--check: only report the ones that are not)
  data shapes        write a generated COCO detection set (--out DIR --train N --test M)
  lsp                the language server for editors, on stdin and stdout (--stdio)

cnnc <command> --help shows a command's options. docs/language.md describes the language.`;

export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** A command by the name the user typed: own entries only (not `constructor`, `__proto__`). */
function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

export function main(argv: readonly string[], io: Io): ExitCode {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      const known = topic ? own(COMMANDS, topic) : undefined;
      io.out(`${known ? known.help : MAIN_HELP}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-V') {
      io.out(`cnnc ${version()}\n`);
      return 0;
    }
    if (own(ASYNC_COMMANDS, command) && !own(COMMANDS, command))
      throw new UsageError(`${command} runs asynchronously: call mainAsync`);
    const cmd = own(COMMANDS, command);
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${cmd.help}\n`);
      return 0;
    }
    return cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `cnnc: ${e.message}\n(see cnnc ${command && own(COMMANDS, command) ? `${command} ` : ''}--help)\n`,
      );
      return 2;
    }
    printDiagnostics(io, [internalError(e)], new Map());
    return 2;
  }
}

/** main, plus the asynchronous commands (train, evaluate, predict, bench). */
export async function mainAsync(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === 'help' && rest[0] !== undefined && own(ASYNC_COMMANDS, rest[0])) {
    io.out(`${(await own(ASYNC_COMMANDS, rest[0])!()).help}\n`);
    return 0;
  }
  const load = command === undefined ? undefined : own(ASYNC_COMMANDS, command);
  if (!load) return main(argv, io);
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${cmd.help}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cnnc: ${e.message}\n(see cnnc ${command} --help)\n`);
      return 2;
    }
    printDiagnostics(io, [internalError(e)], new Map());
    return 2;
  }
}

/** Io.writeFile: atomically, replacing only a regular file (runtime/safe-write.ts). */
export function writeOutput(file: string, text: string): void {
  writeFileAtomic(file, text, (m) => new UsageError(m));
}

export function processIo(): Io {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    host: nodeHost(),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    writeFile: writeOutput,
  };
}

const invoked = process.argv[1] && path.resolve(process.argv[1]);
const self = new URL(import.meta.url).pathname;
if (invoked && (invoked === self || fs.realpathSync(invoked) === self)) {
  // A reader that stops early (`cnnc summary … | head`) closes the pipe: stop quietly, as Unix
  // tools do, instead of dying on the unhandled EPIPE error event with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  void mainAsync(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
