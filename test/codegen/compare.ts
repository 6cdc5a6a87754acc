/** Output comparisons shared by the code generators' parity tests. */
import * as fs from 'node:fs';
import { parseNpy } from '../../runtime/data/npy.js';

export function readNpy(file: string): Float32Array {
  return parseNpy(fs.readFileSync(file), file).data;
}

/** max |a − b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? (err === 0 ? 0 : Infinity) : err / scale;
}
