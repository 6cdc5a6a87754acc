/**
 * Pretrained weights for `cnnc train`: `--weights FILE [--map M] [--allow-partial]`, or the train
 * block's `weights "FILE" map M` (a path relative to the .cnn file). The weights plan (which
 * tensors load, mismatch, stay initialised or go unused) is printed before training starts, and a
 * mismatch — or a frozen layer left at its initial values — stops the run (runtime/weights/plan.ts).
 */
import * as path from 'node:path';
import { prepareWeights } from '../../runtime/weights/load.js';
import { planProblems, tensorsToLoad } from '../../runtime/weights/plan.js';
import type { ParsedArgs } from './args.js';
import type { ExitCode, Io } from './io.js';
import type { Session } from './train-session.js';
import { renderPlan, weightMapFlag } from './weights.js';

export const PRETRAINED_FLAGS = {
  weights: { value: true },
  map: { value: true },
  'allow-partial': { value: false },
} as const;

/** Loads the pretrained weights into the session's engine; an exit code when the run must stop. */
export function loadPretrained(session: Session, args: ParsedArgs, io: Io): ExitCode | null {
  const flag = args.flags.get('weights')?.[0];
  const setting = session.settings.fineTune.weights;
  if (flag === undefined && !setting) return null;
  const file =
    flag !== undefined
      ? path.resolve(io.cwd, flag)
      : path.resolve(path.dirname(session.file), setting!.path);
  const map = args.flags.has('map') ? weightMapFlag(args) : (setting?.map ?? 'none');
  const prepared = prepareWeights(session.graph, file, map);
  if (!args.flags.has('quiet')) io.out(`${renderPlan(session.graph, prepared, io.cwd)}\n`);
  const problems = planProblems(prepared.plan, { allowPartial: args.flags.has('allow-partial') });
  if (problems.length) {
    for (const p of problems) io.err(`cnnc: error: ${p}\n`);
    return 1;
  }
  session.engine.writeWeights(tensorsToLoad(prepared.plan, prepared.sources));
  return null;
}
