/**
 * How soon V8 optimises the JavaScript of a data-parallel training step (data-parallel.ts).
 *
 * V8 optimises a function with TurboFan, on one of its background threads, once the function has
 * run enough bytecode: a tick every `--interrupt-budget` (66 KB by default in Node 20's V8 11.3),
 * and at least 3 ticks. tfjs runs a few hundred small functions once or a few times per op, so at
 * that budget many of them reach TurboFan only after 500–1,400 training steps (`--trace-opt`, the
 * yardstick on 2 threads: ~700 compilations, 3.5 s of compiler CPU over the first 1,500 steps in
 * the two isolates; 15–30 compilations every 100 steps even after step 1,000).
 *
 * On one thread the compiler runs on an idle core. With a replica on every core it takes a core
 * from a replica for several milliseconds, the other replica waits for it at the next barrier, and
 * a step that takes 10.5 ms takes 13–28 ms: the yardstick averaged 11.8 ms a step on 2 threads
 * between steps 100 and 1,000 against 10.8 once the compiling was over.
 *
 * A budget of 4 KB ticks 16 times as often, so the same functions are optimised within the first
 * ~300 steps; after that the replicas have the cores to themselves. It is the same compiling done
 * earlier (more of it: 5.6 s of compiler CPU instead of 3.5 over the first 1,500 steps, since
 * rarely run functions get optimised too), not less: the yardstick on 2 threads took 2.5 s for its
 * first 100 steps against 1.6–1.8 with V8's default, 11.9–12.4 s against 12.0–12.6 for 1,000
 * steps, and 34.3–35.1 s for 3,000 steps either way; the main job (LeNet-5, 2 threads, 5,346
 * steps) trained in 19.3–19.4 s with it and 19.6 s without (alternating runs). What it buys is a
 * run whose speed settles in its first seconds, as one thread's does, so that a benchmark's
 * warm-up (compiler/cli/bench.ts) measures the speed that the rest of the run will have.
 */

/** V8's interrupt budget while a data-parallel engine is open. */
export const INTERRUPT_BUDGET = 4096;

/**
 * The V8 flag that sets the budget, or null where it is left alone: CNNC_DEFAULT_TIER_UP=1 keeps
 * V8's default (for measuring), and a budget given on node's command line wins.
 */
export function tierUpFlag(
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  if (env['CNNC_DEFAULT_TIER_UP']) return null;
  if (execArgv.some((a) => /^--interrupt[-_]budget(=|$)/.test(a))) return null;
  return `--interrupt-budget=${INTERRUPT_BUDGET}`;
}

let tuned = false;

/**
 * Sets the budget for the whole process, once (V8's flags are shared by every isolate of the
 * process, so the replicas' worker threads have it too, and functions pick it up at their next
 * tick). Whether the budget was set here.
 */
export function tierUpEarly(setFlags: (flags: string) => void): boolean {
  if (tuned) return true;
  const flag = tierUpFlag(process.execArgv, process.env);
  if (flag === null) return false;
  try {
    setFlags(flag);
  } catch {
    return false; // a V8 without the flag: its default stays
  }
  return (tuned = true);
}
