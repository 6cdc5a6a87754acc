/**
 * Learning-rate schedules: the rate of a step as a pure function of the step number (0-based), the
 * steps per epoch and the total number of steps. With base rate lr and e = step / stepsPerEpoch (the
 * epoch as a fraction):
 *
 *   constant     lr
 *   step         lr · γ^floor(e / every)                 (every: epochs, default 1; γ default 0.1)
 *   exponential  lr · γ^e                                 (decays by γ per epoch, continuously)
 *   cosine       min + (lr − min) · (1 + cos(π · step / total)) / 2   (min default 0)
 *
 * A linear warm-up of W steps multiplies the result by (step + 1) / W while step < W.
 */

export const SCHEDULES = ['constant', 'step', 'exponential', 'cosine'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export interface ScheduleConfig {
  readonly kind: ScheduleKind;
  /** γ for step and exponential. */
  readonly gamma: number;
  /** Epochs between decays of the step schedule. */
  readonly every: number;
  /** Final rate of the cosine schedule. */
  readonly minLr: number;
  readonly warmupSteps: number;
}

export const DEFAULT_SCHEDULE: ScheduleConfig = {
  kind: 'constant',
  gamma: 0.1,
  every: 1,
  minLr: 0,
  warmupSteps: 0,
};

export function learningRate(
  lr: number,
  s: ScheduleConfig,
  step: number,
  stepsPerEpoch: number,
  totalSteps: number,
): number {
  const e = step / Math.max(1, stepsPerEpoch);
  let r: number;
  switch (s.kind) {
    case 'constant':
      r = lr;
      break;
    case 'step':
      r = lr * Math.pow(s.gamma, Math.floor(e / Math.max(1e-9, s.every)));
      break;
    case 'exponential':
      r = lr * Math.pow(s.gamma, e);
      break;
    case 'cosine':
      r =
        s.minLr +
        ((lr - s.minLr) *
          (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / Math.max(1, totalSteps)))) /
          2;
      break;
  }
  if (step < s.warmupSteps) r *= (step + 1) / s.warmupSteps;
  return r;
}
