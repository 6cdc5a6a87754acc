#!/usr/bin/env node
/**
 * The cnnc command line: the only code that touches the process (argv, streams, exit codes).
 * Commands are functions of (argv, Io) returning an exit code, so tests run them in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { internalError } from '../program.js';
import { UsageError } from './args.js';
import { BENCH_HELP, runBench } from './bench.js';
import { CHECK_HELP, runCheck } from './check.js';
import { COMPILE_HELP, runCompile } from './compile.js';
import { printDiagnostics } from './common.js';
import { nodeHost, packageRoot } from './host.js';
import type { ExitCode, Io } from './io.js';
import { SUMMARY_HELP, runSummary } from './summary.js';
import { EVALUATE_HELP, runEvaluate } from './evaluate.js';
import { PREDICT_HELP, runPredict } from './predict.js';
import { TRAIN_HELP, runTrain } from './train.js';
import { VERIFY_HELP, runVerify } from './verify.js';
import { RUN_HELP, runRun } from './run.js';
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
};

/** Commands that run TensorFlow.js and so are asynchronous; `mainAsync` runs them. */
const ASYNC_COMMANDS: Record<
  string,
  { run: (argv: readonly string[], io: Io) => Promise<ExitCode>; help: string }
> = {
  train: { run: runTrain, help: TRAIN_HELP },
  evaluate: { run: runEvaluate, help: EVALUATE_HELP },
  predict: { run: runPredict, help: PREDICT_HELP },
  run: { run: runRun, help: RUN_HELP },
  bench: { run: runBench, help: BENCH_HELP },
  verify: { run: runVerify, help: VERIFY_HELP },
};

export const MAIN_HELP = `cnnc — a compiler for .cnn network descriptions

usage: cnnc <command> [options]

commands:
  check FILES...     check shapes, parameters, MACs, memory and budgets
  summary FILE       per-layer table: output shape, parameters, MACs, receptive field
  compile FILE       compile a model to the graph IR (--emit ir)
  train FILE         train a model (MNIST by default), checkpoint every epoch, print test metrics
  evaluate FILE      test metrics of a checkpoint (--weights DIR)
  predict FILE IMG…  top classes of images (.npy or IDX) with a checkpoint (--weights DIR)
  weights plan FILE  which weights a file provides (--from FILE, --map torchvision)
  import keras JSON  a Keras / TensorFlow.js layers model to a .cnn file and its weights
  run FILE           one forward pass on a .npy array (--weights FILE --input X.npy)
  bench FILE         training and inference images/s on synthetic data (--backend, --batch, --json)
  verify FILE        compare the tfjs lowering with the reference executor (outputs, loss, gradients)

cnnc <command> --help shows a command's options. docs/language.md describes the language.`;

export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function main(argv: readonly string[], io: Io): ExitCode {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      const known = topic ? (COMMANDS[topic] ?? ASYNC_COMMANDS[topic]) : undefined;
      io.out(`${known ? known.help : MAIN_HELP}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-V') {
      io.out(`cnnc ${version()}\n`);
      return 0;
    }
    const cmd = COMMANDS[command] ?? ASYNC_COMMANDS[command];
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${cmd.help}\n`);
      return 0;
    }
    if (!COMMANDS[command]) throw new UsageError(`${command} runs asynchronously: call mainAsync`);
    return COMMANDS[command].run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `cnnc: ${e.message}\n(see cnnc ${command && COMMANDS[command] ? `${command} ` : ''}--help)\n`,
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
  const cmd = command === undefined ? undefined : ASYNC_COMMANDS[command];
  if (!cmd) return main(argv, io);
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

export function processIo(): Io {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    host: nodeHost(),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    writeFile(file, text) {
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      try {
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, file);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw new UsageError(
          `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        );
      }
    },
  };
}

const invoked = process.argv[1] && path.resolve(process.argv[1]);
const self = new URL(import.meta.url).pathname;
if (invoked && (invoked === self || fs.realpathSync(invoked) === self)) {
  void mainAsync(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
