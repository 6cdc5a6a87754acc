/**
 * Runs a share of the fuzz cases: each mutated file is compiled (imports resolve against the real
 * stdlib) and must end in a result or diagnostics with codes, never an exception, never an internal
 * error, and never take more than a second or ten times what the unmutated file takes (whichever
 * is longer): a hang or a blow-up, not a speed target. Each corpus file is compiled once first, which
 * warms the compiler up and gives that file's own time (the stdlib's resnet.cnn elaborates nine
 * ImageNet models, and a duplicate of it is eighteen).
 */
import { expect } from 'vitest';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';
import { corpus } from './corpus.js';
import { MUTATIONS, mutate, rng } from './mutate.js';

export const CASES_PER_SHARD = 5_000;

export function runShard(shard: number): { cases: number; slowest: number } {
  const files = corpus();
  const rand = rng(0xc0ffee + shard * 7919);
  let slowest = 0;
  const own = new Map<string, number>();
  for (const f of files) {
    const start = performance.now();
    compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': f.text }));
    own.set(f.name, performance.now() - start);
  }
  for (let i = 0; i < CASES_PER_SHARD; i++) {
    const file = files[Math.floor(rand() * files.length)];
    const kind = MUTATIONS[Math.floor(rand() * MUTATIONS.length)];
    const text = mutate(file.text, kind, rand);
    const start = performance.now();
    let result;
    try {
      result = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': text }));
    } catch (e) {
      throw new Error(
        `case ${shard}:${i} (${kind} of ${file.name}) threw: ${String(e)}\n--- input ---\n${text}`,
      );
    }
    const ms = performance.now() - start;
    slowest = Math.max(slowest, ms);
    const bad = result.diagnostics.filter((d) => !/^CNN[1-5]\d{3}$/.test(d.code));
    const limit = Math.max(1000, 10 * own.get(file.name)!);
    if (bad.length || ms > limit) {
      expect.fail(
        `case ${shard}:${i} (${kind} of ${file.name}) ${ms > limit ? `took ${ms.toFixed(0)} ms (the file itself ${own.get(file.name)!.toFixed(0)} ms)` : `gave ${bad.map((d) => `${d.code}: ${d.message}`).join('; ')}`}\n--- input ---\n${text}`,
      );
    }
  }
  return { cases: CASES_PER_SHARD, slowest };
}
