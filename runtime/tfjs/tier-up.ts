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
 * A budget of 4 KB ticks 16 times as often, so the functions still waiting are optimised within a
 * few hundred steps; after that the replicas have the cores to themselves. It is the same compiling
 * done earlier (more of it: rarely run functions get optimised too), not less, so it is set only
 * once a run has lasted TIER_UP_AFTER steps: a shorter run would pay for compiling that V8 would
 * otherwise never have done. Measured on 2 threads (alternating runs):
 *   - set at the first step, LeNet-5 on 10,000 images (1 epoch, ~300 steps) took 3.9–4.2 s against
 *     3.2–3.4 s with V8's default; set after 100 steps, 3.7 s; after 300, it is not set at all;
 *   - the yardstick, set at the first step: 2.5 s for the first 100 steps against 1.6–1.8,
 *     11.9–12.4 s for 1,000 steps against 12.0–12.6, and 34.3–35.1 s for 3,000 either way; set
 *     after 300 steps, 2,000 steps took 25.2 s against 25.3;
 *   - the main job (LeNet-5, 5,346 steps), set at the first step: 19.3–19.4 s against 19.6; set
 *     after 300 steps, 20.9–21.8 s against 21.4–21.6 (a slower hour of the machine), and the
 *     ~300-step run above 3.2–3.3 s against 3.2.
 * What it buys is a long run whose speed settles after ~600 steps instead of 1,500 or more, so
 * that a benchmark's warm-up (compiler/cli/bench.ts) measures the speed that the rest of the run
 * will have.
 */

/** Training steps after which a data-parallel engine lowers the budget. */
export const TIER_UP_AFTER = 300;

/** V8's interrupt budget from then on. */
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
