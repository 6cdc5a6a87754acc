/**
 * The arithmetic ceiling of WebAssembly SIMD on one core of this machine: a generated loop of 12
 * independent f32x4 multiply-add chains with no memory traffic, timed in CPU time. Two figures:
 * `f32x4.mul` then `f32x4.add` (what cnnc's kernels and tfjs-wasm's XNNPACK build use), and relaxed
 * SIMD's `f32x4.relaxed_madd` (a fused multiply-add where the CPU has FMA), which Node 20 runs only
 * behind V8's --experimental-wasm-relaxed-simd (set here for this process; Node 22 has it on).
 * The roofline of docs/performance.md divides the conv kernels' GFLOP/s by these.
 */
import * as v8 from 'node:v8';
import {
  assemble,
  I32,
  instantiate,
  loop,
  op,
  V128,
  wasmHost,
  type Code,
  type WasmHost,
} from '../runtime/tfjs/wasm-asm.js';

export interface SimdPeak {
  /** GFLOP/s of mul then add (2 FLOPs per lane). */
  readonly mulAdd: number;
  /** GFLOP/s of relaxed_madd, or null where the host refuses relaxed SIMD. */
  readonly fma: number | null;
}

const CHAINS = 12;
// Locals after the params (0: unused pointer, 1: iterations): the counter, b, c, the chains.
const [COUNT, B, C] = [2, 3, 4];
const chain = (j: number) => 5 + j;
const relaxedMadd = (a: Code, b: Code, c: Code): Code => [a, b, c, 0xfd, 0x85, 0x02];

function peakKernel(fused: boolean): Uint8Array {
  const { get, set, i32, vAdd, vMul, vLoad, vStore } = op;
  const step = (j: number): Code =>
    fused ? relaxedMadd(get(chain(j)), get(B), get(C)) : vAdd(vMul(get(chain(j)), get(B)), get(C));
  return assemble([
    {
      name: 'run',
      params: [I32, I32],
      locals: [I32, ...new Array<typeof V128>(CHAINS + 2).fill(V128)],
      body: [
        set(B, vLoad(i32(0))),
        set(C, vLoad(i32(16))),
        Array.from({ length: CHAINS }, (_, j) => set(chain(j), vLoad(i32(32)))),
        loop(
          COUNT,
          i32(0),
          get(1),
          Array.from({ length: CHAINS }, (_, j) => set(chain(j), step(j))),
        ),
        // stored, so that the loop is not dead code
        Array.from({ length: CHAINS }, (_, j) => vStore(i32(48 + 16 * j), get(chain(j)))),
      ],
    },
  ]);
}

function gflops(Wasm: WasmHost, bytes: Uint8Array): number {
  const memory = new Wasm.Memory({ initial: 1 });
  new Float32Array(memory.buffer).set([0.999, 0.999, 0.999, 0.999, 1e-3, 1e-3, 1e-3, 1e-3, 1, 1]);
  const { run } = instantiate(bytes, memory);
  const n = 10_000_000;
  run(0, 1000);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const c = process.cpuUsage();
    run(0, n);
    const u = process.cpuUsage(c);
    best = Math.min(best, (u.user + u.system) / 1e6);
  }
  return (n * CHAINS * 4 * 2) / best / 1e9;
}

export function simdPeak(): SimdPeak {
  const Wasm = wasmHost();
  if (Wasm === null) throw new Error('this JavaScript host has no WebAssembly');
  const mulAdd = gflops(Wasm, peakKernel(false));
  const fused = peakKernel(true);
  if (!Wasm.validate(fused)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return { mulAdd, fma: Wasm.validate(fused) ? gflops(Wasm, fused) : null };
}
