import * as os from 'node:os';
import * as path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// Vitest runs cores − 1 files at a time, so on a 2-core machine (CI's) one file at a time. Many
// files spend much of their time waiting on child processes (python3, tsc, chromium, cnnc
// itself): run serially, the suite kept 0.7 cores busy on average (`/usr/bin/time`, 2 cores,
// 26 minutes on a loaded machine); two at a time, 1.9 cores and 10-11 minutes on a quiet one.
// Every core runs a file here: the tests neither time themselves nor share paths or ports.
const cores = os.availableParallelism();

/**
 * The files that take over a minute on 2 cores, longest first. Vitest orders a run by the
 * durations it cached last time and, with no cache (a fresh CI checkout), by file size, which put
 * the longest file (3.5 minutes) last and left one core idle while it ran. A file missing here
 * only runs later; one that no longer exists is ignored.
 */
const SLOW_FIRST = [
  'test/codegen/tfjs/mnist.test.ts',
  'test/codegen/onnx/roundtrip.test.ts',
  'test/runtime/reference/differential.test.ts',
  'test/examples/transfer.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(path.relative(f.project.config.root, f.moduleId));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    maxWorkers: cores <= 2 ? cores : cores - 1,
    sequence: { sequencer: SlowFirst },
  },
});
