/**
 * The collectives of data-parallel training (runtime/tfjs/collective.ts) on 1, 2 and 3 threads: the
 * one-barrier path for small vectors (two slot sets in turn, so calls in a row must not overwrite
 * a set still being read), the reduce-scatter + all-gather path for vectors over SMALL floats (the
 * gradients of a large model; data-parallel.test.ts's model is too small to reach it), summing in
 * place into several parts, and the all-gather. Every replica must get the same bits, the sum in
 * float64 of the ranks' values in rank order, rounded once. The ranks run the compiled dist/ in
 * worker threads.
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectiveBuffers, SMALL } from '../../../runtime/tfjs/collective.js';
import { REPO } from '../../helpers/memory-host.js';

/**
 * Lengths of the parts of each all-reduce: small ones in a row, then large ones in two parts and in
 * many parts of odd lengths (whose pieces straddle the replicas' ranges of the reduce-scatter).
 */
const MANY = Array.from({ length: 41 }, (_, k) => 1601 + 2 * k + (k % 3) * 977);
const CALLS = [[5], [7, 2], [SMALL - 1], [3, SMALL + 11], MANY, [1, 2, SMALL + 3], [4]];

/** Rank r's value at element i of call c: not exactly representable sums, distinct per rank. */
function value(c: number, r: number, i: number): number {
  return Math.fround(Math.sin(c * 7.1 + r * 1.3 + i * 0.37) * (r + 1));
}

/** What every rank does: the all-reduces of CALLS, then an all-gather; returns what it got. */
const PROGRAM = `
const run = (collective, rank, ranks, CALLS, value) => {
  const out = [];
  CALLS.forEach((lengths, c) => {
    let at = 0;
    const parts = lengths.map((n) => {
      const p = Float32Array.from({ length: n }, (_, i) => value(c, rank, at + i));
      at += n;
      return p;
    });
    collective.allReduceInPlace(parts, ranks);
    out.push(parts);
  });
  out.push(collective.allGather(Float32Array.of(rank, rank * 10), ranks).map((a) => a.slice()));
  return out;
};`;

describe.each([1, 2, 3])('collectives on %i threads', (RANKS) => {
  it('sum in rank order, the same bits on every rank, on both paths', async () => {
    const capacity = Math.max(SMALL + 20, ...CALLS.map((c) => c.reduce((a, b) => a + b, 0)));
    const buffers = collectiveBuffers(RANKS, capacity);
    const dist = pathToFileURL(path.join(REPO, 'dist/runtime/tfjs/collective.js')).href;
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      ${PROGRAM}
      const value = ${value.toString()};
      import(${JSON.stringify(dist)}).then(({ Collective }) => {
        const { buffers, rank, ranks, CALLS } = workerData;
        parentPort.postMessage(run(new Collective(buffers, rank), rank, ranks, CALLS, value));
      });`;
    // Every rank in a worker, so that a hang ends with the test's timeout instead of blocking it.
    const workers: Worker[] = [];
    const all = await Promise.all(
      Array.from(
        { length: RANKS },
        (_, rank) =>
          new Promise<Float32Array[][]>((resolve, reject) => {
            const w = new Worker(source, {
              eval: true,
              workerData: { buffers, rank, ranks: RANKS, CALLS },
            });
            workers.push(w);
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    ).finally(() => workers.forEach((w) => void w.terminate()));
    CALLS.forEach((lengths, c) => {
      let at = 0;
      lengths.forEach((n, k) => {
        const expected = Float32Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let r = 0; r < RANKS; r++) s += value(c, r, at + i);
          return s;
        });
        for (const got of all) expect(got[c][k]).toEqual(expected);
        at += n;
      });
    });
    for (const got of all)
      expect(got[CALLS.length].map((a) => Array.from(a))).toEqual(
        Array.from({ length: RANKS }, (_, r) => [r, r * 10]),
      );
  }, 60_000);
});

/**
 * The sharded optimiser's collectives on three ranks: reduceScatterOwned sums in rank order the
 * parts a rank owns and those every rank needs (EVERY), leaving the others as they were;
 * shareOwned hands every rank the parts the others own; a rank that aborts instead of taking part
 * makes the others throw CollectiveAborted rather than hang.
 */
describe('owned collectives on three threads', () => {
  const OWNED = `
const run = (collective, rank, ranks, lengths, owners, value) => {
  const parts = lengths.map((n, k) => Float32Array.from({ length: n }, (_, i) => value(k, rank, i)));
  collective.reduceScatterOwned(parts, owners, ranks);
  const taken = [];
  const published = lengths.map((n, k) => Float32Array.from({ length: n }, (_, i) => k * 100 + rank + i));
  collective.shareOwned(lengths, owners, ranks, (k) => published[k], (k, v) => taken.push([k, v.slice()]));
  let aborted = null;
  // Rank 2 fails later, when the others wait in the next call (an abort poisons a barrier that a
  // rank has not yet left, so it waits for them to leave shareOwned's first).
  if (rank === 2) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    collective.abort();
  }
  else {
    try {
      collective.reduceScatterOwned(parts, owners, ranks);
    } catch (e) {
      aborted = e.name;
    }
  }
  return { parts, taken, aborted };
};`;

  it('sum what each rank owns, share the results, abort without a hang', async () => {
    const lengths = [2, 70001, 13, SMALL + 5, 3];
    const owners = [-1, 0, 2, 1, 2];
    const ranks = 3;
    const buffers = collectiveBuffers(
      ranks,
      lengths.reduce((a, b) => a + b, 0),
    );
    const dist = pathToFileURL(path.join(REPO, 'dist/runtime/tfjs/collective.js')).href;
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      ${OWNED}
      const value = ${value.toString()};
      import(${JSON.stringify(dist)}).then(({ Collective }) => {
        const { buffers, rank, ranks, lengths, owners } = workerData;
        parentPort.postMessage(run(new Collective(buffers, rank), rank, ranks, lengths, owners, value));
      });`;
    type Got = { parts: Float32Array[]; taken: [number, Float32Array][]; aborted: string | null };
    const workers: Worker[] = [];
    const all = await Promise.all(
      Array.from(
        { length: ranks },
        (_, rank) =>
          new Promise<Got>((resolve, reject) => {
            const w = new Worker(source, {
              eval: true,
              workerData: { buffers, rank, ranks, lengths, owners },
            });
            workers.push(w);
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    ).finally(() => workers.forEach((w) => void w.terminate()));
    all.forEach((got, rank) => {
      lengths.forEach((n, k) => {
        const mine = owners[k] === rank || owners[k] === -1;
        const expected = Float32Array.from({ length: n }, (_, i) => {
          if (!mine) return value(k, rank, i);
          let s = 0;
          for (let r = 0; r < ranks; r++) s += value(k, r, i);
          return s;
        });
        expect(got.parts[k], `rank ${rank} part ${k}`).toEqual(expected);
      });
      const others = lengths.flatMap((_, k) => (owners[k] !== rank && owners[k] !== -1 ? [k] : []));
      expect(got.taken.map(([k]) => k)).toEqual(others);
      for (const [k, v] of got.taken)
        expect(v).toEqual(
          Float32Array.from({ length: lengths[k] }, (_, i) => k * 100 + owners[k] + i),
        );
      expect(got.aborted).toBe(rank === 2 ? null : 'CollectiveAborted');
    });
  }, 60_000);
});
