import { expect, it } from 'vitest';
import { CASES_PER_SHARD, runShard } from './fuzz-run.js';

it(`fuzz shard A: ${CASES_PER_SHARD} mutated stdlib/example files end in results or coded diagnostics`, () => {
  const r = runShard(0);
  expect(r.cases).toBe(CASES_PER_SHARD);
}, 600_000);
