/**
 * A synchronous pool of worker threads for the reference kernels' hot loops.
 *
 * `runOnAllThreads(library, task, args)` calls task(...args, t, T) on every thread t of T — the
 * calling thread is t = 0 — and returns when all have finished, so a kernel stays an ordinary
 * synchronous function. Tasks share their data through SharedArrayBuffers (typed arrays over one
 * are sent to workers as views of the same memory) and split the work themselves, usually by taking
 * blocks from a shared Atomics counter so that a thread slowed by another process takes fewer.
 *
 * Workers run the text of the functions in a `library` (each must use only its arguments, globals
 * and the library's other functions): a job is a message on the worker's port read synchronously
 * with receiveMessageOnPort after an Atomics.notify, and the calling thread blocks in Atomics.wait
 * until every worker has written its done flag. Workers are unref'd (a process exits without
 * closing the pool). Thread count: configureParallel({ threads }), else env CNNC_THREADS, else
 * os.availableParallelism(). Where workers cannot start, everything runs on the calling thread.
 */
import * as os from 'node:os';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';

export type Task = (...args: never[]) => void;

/** What a worker runs: the text of `functions` (tasks and their helpers) after a `prelude`. */
export interface TaskLibrary {
  /** Source declaring what the functions call from other modules (e.g. GEMM_WORKER_SOURCE). */
  readonly prelude: string;
  readonly functions: readonly Task[];
}

export interface ParallelConfig {
  /** Threads in all, the calling one included; 1 = no workers. */
  readonly threads: number;
  /** Work below this many flops runs on the calling thread (a job costs ~0.1 ms of messaging). */
  readonly minFlops: number;
}

function defaultThreads(): number {
  const env = process.env.CNNC_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, 64);
  }
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

let config: ParallelConfig = { threads: defaultThreads(), minFlops: 4e6 };
/** One pool per task library, started on first use; `disabled` once workers failed to start. */
const pools = new Map<TaskLibrary, Pool>();
let disabled = false;

/** Changes the thread count or threshold (tests force the parallel path on small problems). */
export function configureParallel(next: Partial<ParallelConfig>): ParallelConfig {
  const prev = config;
  config = { ...config, ...next };
  if (config.threads !== prev.threads) {
    for (const pool of pools.values()) pool.close();
    pools.clear();
    disabled = false;
  }
  return prev;
}

export function parallelConfig(): ParallelConfig {
  return config;
}

/** Threads a job of `flops` should use under the current configuration. */
export function threadsFor(flops: number): number {
  return flops < config.minFlops ? 1 : config.threads;
}

const SEQ = 0;
const DONE = 1;
const READY = 2;
const SLOTS = 4;
const START_TIMEOUT_MS = 10_000;

/** The worker's main loop, as source text (it runs as a classic script: `require` is there). */
const WORKER_LOOP = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { ctrl, port, slot } = workerData;
const base = slot * ${SLOTS};
Atomics.store(ctrl, base + ${READY}, 1);
Atomics.notify(ctrl, base + ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, base + ${SEQ}, seen);
  seen = Atomics.load(ctrl, base + ${SEQ});
  let job = receiveMessageOnPort(port);
  while (job === undefined) {
    Atomics.wait(ctrl, base + ${SEQ}, seen, 1);
    job = receiveMessageOnPort(port);
  }
  const { name, args, exit } = job.message;
  if (exit) break;
  try {
    TASKS[name](...args);
  } catch (e) {
    port.postMessage(String(e && e.stack ? e.stack : e));
  }
  Atomics.store(ctrl, base + ${DONE}, seen);
  Atomics.notify(ctrl, base + ${DONE});
}
`;

class Pool {
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private seq = 0;
  readonly ok: boolean;

  constructor(library: TaskLibrary, threads: number) {
    const n = threads - 1;
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * SLOTS * Math.max(n, 1)));
    const source = [
      library.prelude,
      ...library.functions.map((f) => f.toString()),
      `const TASKS = { ${library.functions.map((f) => f.name).join(', ')} };`,
      WORKER_LOOP,
    ].join('\n');
    let ok = true;
    try {
      for (let i = 0; i < n; i++) {
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(source, {
          eval: true,
          workerData: { ctrl: this.ctrl, port: port2, slot: i },
          transferList: [port2],
        });
        worker.unref();
        worker.on('error', () => undefined);
        this.workers.push(worker);
        this.ports.push(port1);
      }
      for (let i = 0; i < n && ok; i++) {
        const at = i * SLOTS + READY;
        const t0 = Date.now();
        while (Atomics.load(this.ctrl, at) !== 1 && ok) {
          Atomics.wait(this.ctrl, at, 0, 50);
          if (Date.now() - t0 > START_TIMEOUT_MS) ok = false;
        }
      }
    } catch {
      ok = false;
    }
    this.ok = ok;
    if (!ok) this.close();
  }

  get size(): number {
    return this.workers.length + 1;
  }

  run(task: Task, args: readonly unknown[]): void {
    const seq = ++this.seq;
    const threads = this.size;
    this.workers.forEach((_, i) => {
      this.ports[i].postMessage({ name: task.name, args: [...args, i + 1, threads] });
      Atomics.store(this.ctrl, i * SLOTS + SEQ, seq);
      Atomics.notify(this.ctrl, i * SLOTS + SEQ);
    });
    let failure: unknown;
    try {
      (task as (...a: unknown[]) => void)(...args, 0, threads);
    } catch (e) {
      failure = e;
    }
    const errors: string[] = [];
    this.workers.forEach((_, i) => {
      const at = i * SLOTS + DONE;
      for (let v = Atomics.load(this.ctrl, at); v !== seq; v = Atomics.load(this.ctrl, at))
        Atomics.wait(this.ctrl, at, v);
      const msg = receiveMessageOnPort(this.ports[i]);
      if (msg !== undefined) errors.push(String(msg.message));
    });
    if (failure !== undefined) throw failure;
    if (errors.length > 0) throw new Error(`worker task ${task.name} failed: ${errors[0]}`);
  }

  close(): void {
    this.workers.forEach((w, i) => {
      this.ports[i].postMessage({ exit: true });
      Atomics.store(this.ctrl, i * SLOTS + SEQ, ++this.seq);
      Atomics.notify(this.ctrl, i * SLOTS + SEQ);
      this.ports[i].close();
      void w.terminate();
    });
    this.workers.length = 0;
  }
}

/**
 * Runs task(...args, t, T) on T threads (T from `threads`, capped by the configuration), the
 * calling thread included; `library` lists every function a worker needs, `task` among them.
 */
export function runOnAllThreads(
  library: TaskLibrary,
  task: Task,
  args: readonly unknown[],
  threads: number = config.threads,
): void {
  const t = Math.min(threads, config.threads);
  let pool = t > 1 && !disabled ? pools.get(library) : undefined;
  if (t > 1 && !disabled && pool === undefined) {
    pool = new Pool(library, config.threads);
    if (pool.ok) pools.set(library, pool);
    else {
      disabled = true;
      pool = undefined;
    }
  }
  if (pool === undefined) (task as (...a: unknown[]) => void)(...args, 0, 1);
  else pool.run(task, args);
}

/** A Float32Array on shared memory (a copy of `src` when it is not already shared). */
export function shared(src: Float32Array): Float32Array {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const out = sharedFloat32(src.length);
  out.set(src);
  return out;
}

export function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

export function sharedFloat64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * n));
}

/**
 * out[i] += Σ_t partials[t·size + i]: the per-thread partials of a task (one block of `size`
 * per thread) added up in float64 and stored once.
 */
export function addPartials(
  partials: Float32Array | Float64Array,
  size: number,
  out: Float32Array | Float64Array,
): void {
  for (let i = 0; i < size; i++) {
    let s = out[i];
    for (let j = i; j < partials.length; j += size) s += partials[j];
    out[i] = s;
  }
}

/** A shared counter for handing out blocks of work (Atomics.add(counter, 0, 1)). */
export function sharedCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}
