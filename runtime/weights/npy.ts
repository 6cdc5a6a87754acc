/**
 * Writes a float32 array as a NumPy `.npy` file (format 1.0, little-endian `<f4`, C order), for
 * `cnnc run --output`. runtime/data/npy.ts reads them.
 */
import { sizeOf } from './tensor.js';

export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  if (data.length !== sizeOf(shape))
    throw new Error(`encodeNpy: ${data.length} values for shape ${JSON.stringify(shape)}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  for (let i = 0; i < data.length; i++) view.setFloat32(total + 4 * i, data[i], true);
  return out;
}
