/**
 * Where a data-parallel training step's time goes, per replica (data-parallel.ts): the phases of
 * `trainShard` in wall time, the part of it spent waiting at the collective's barriers, and the
 * thread's own CPU time and run-queue delay from Linux's /proc/thread-self/schedstat (absent
 * elsewhere). CPU time against wall time separates the work a replica does from the time it is
 * descheduled on a shared machine, so that the scaling a quiet machine would show can be predicted
 * from a loaded one (scripts/bench-threads.ts).
 */
import type * as NodeFs from 'node:fs';

/**
 * Node's fs, reached at run time so that the engine that imports this module also bundles for the
 * browser (the playground's training worker), where there is no schedstat to read.
 */
const fs = globalThis.process?.getBuiltinModule?.('node:fs') as typeof NodeFs | undefined;

/** The phases of one replica's step. */
export const STEP_PHASES = ['shard', 'forwardBackward', 'allReduce', 'optimizer'] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

export interface PhaseTimes {
  /** Wall milliseconds. */
  wallMs: number;
  /** This thread's CPU milliseconds (NaN without schedstat). */
  cpuMs: number;
  /** Milliseconds this thread was runnable but waiting for a core (NaN without schedstat). */
  queuedMs: number;
}

export interface ReplicaProfile {
  readonly rank: number;
  /** Training steps profiled. */
  steps: number;
  readonly phases: Record<StepPhase, PhaseTimes>;
  /** Wall milliseconds blocked in the collective's barriers (inside forwardBackward and allReduce). */
  barrierMs: number;
  /** Barriers passed. */
  barriers: number;
}

export function emptyProfile(rank: number): ReplicaProfile {
  const zero = (): PhaseTimes => ({ wallMs: 0, cpuMs: 0, queuedMs: 0 });
  return {
    rank,
    steps: 0,
    phases: Object.fromEntries(STEP_PHASES.map((p) => [p, zero()])) as Record<
      StepPhase,
      PhaseTimes
    >,
    barrierMs: 0,
    barriers: 0,
  };
}

interface Clock {
  readonly wall: number;
  readonly cpuNs: number;
  readonly queuedNs: number;
}

let schedstat: boolean | null = null;

/** Wall time, and the calling thread's CPU and run-queue nanoseconds where Linux reports them. */
export function threadClock(): Clock {
  const wall = performance.now();
  if (schedstat !== false && fs) {
    try {
      const [cpu, queued] = fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ');
      schedstat = true;
      return { wall, cpuNs: Number(cpu), queuedNs: Number(queued) };
    } catch {
      schedstat = false;
    }
  }
  return { wall, cpuNs: NaN, queuedNs: NaN };
}

/** Times the phases of steps into a profile; inactive (free) until `start`. */
export class StepTimer {
  profile: ReplicaProfile;
  active = false;
  private last: Clock | null = null;

  constructor(readonly rank: number) {
    this.profile = emptyProfile(rank);
  }

  start(): void {
    this.profile = emptyProfile(this.rank);
    this.active = true;
  }

  /** Marks the start of a step. */
  begin(): void {
    if (this.active) this.last = threadClock();
  }

  /** Ends `phase` (begun at the previous mark) now. */
  mark(phase: StepPhase): void {
    if (!this.active || this.last === null) return;
    const now = threadClock();
    const p = this.profile.phases[phase];
    p.wallMs += now.wall - this.last.wall;
    p.cpuMs += (now.cpuNs - this.last.cpuNs) / 1e6;
    p.queuedMs += (now.queuedNs - this.last.queuedNs) / 1e6;
    this.last = now;
    if (phase === 'optimizer') this.profile.steps++;
  }

  /**
   * Marks the start of a step whose request was posted at `sentAt` (performance.timeOrigin +
   * performance.now() of the sender): the delivery delay counts as the `shard` phase.
   */
  delivered(sentAt: number): void {
    if (!this.active) return;
    this.begin();
    this.profile.phases.shard.wallMs += Math.max(
      0,
      performance.timeOrigin + performance.now() - sentAt,
    );
  }

  barrier(ms: number): void {
    if (!this.active) return;
    this.profile.barrierMs += ms;
    this.profile.barriers++;
  }
}

/** An engine whose training steps can be profiled (the tfjs engines, one thread or data-parallel). */
export interface Profiled {
  /** Clears the profiles and starts timing steps. */
  startProfile(): void;
  /** The profiles since `startProfile`, one per replica in rank order. */
  readProfile(): Promise<ReplicaProfile[]>;
}

export function isProfiled(engine: object): engine is Profiled {
  return 'startProfile' in engine && 'readProfile' in engine;
}
