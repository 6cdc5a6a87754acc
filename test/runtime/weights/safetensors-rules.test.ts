/**
 * safetensors headers as someone else wrote them, judged by the rules of the format's own reader
 * (the `safetensors` crate, `Metadata::validate` in safetensors/src/tensor.rs): the header is at most
 * 100 MB and inside the file; the tensors, sorted by their offsets, tile the data exactly — each
 * starts where the previous one ends, none overlap, no gap, and the last ends at the end of the file;
 * each tensor's byte count is its shape's element count times its dtype's width, without overflow.
 * cnnc adds: a tensor name given twice is refused (JSON readers keep the last one silently), the
 * dtype is looked up so that `constructor` is no dtype, and `__metadata__` maps strings to strings.
 */
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensors } from '../../../runtime/weights/safetensors.js';
import { WeightsError } from '../../../runtime/weights/tensor.js';

/** A safetensors file from a header written as JSON text (so names may repeat) and data bytes. */
function file(header: string, data: number | Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const t = (name: string, dtype: string, shape: unknown, offsets: unknown) =>
  `${JSON.stringify(name)}: ${JSON.stringify({ dtype, shape, data_offsets: offsets })}`;
const h = (...entries: string[]) => `{${entries.join(', ')}}`;

describe('safetensors headers', () => {
  it('reads tensors listed in any order (the reader sorts them by offset)', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const r = parseSafetensors(
      file(h(t('b', 'F32', [1], [8, 12]), t('a', 'F32', [2], [0, 8])), data),
      'x',
    );
    expect(r.tensors.map((x) => [x.name, [...x.data]])).toEqual([
      ['b', [3]],
      ['a', [1, 2]],
    ]);
  });

  it('reads empty tensors at any offset between others, and a tensor named __proto__', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const r = parseSafetensors(
      file(
        h(
          t('a', 'F32', [1], [0, 4]),
          t('empty', 'F32', [0, 3], [4, 4]),
          t('__proto__', 'F32', [1], [4, 8]),
        ),
        data,
      ),
      'x',
    );
    expect(r.tensors.map((x) => x.name)).toEqual(['a', 'empty', '__proto__']);
  });

  it('reads what cnnc writes', () => {
    const bytes = encodeSafetensors([
      { name: 'w', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      { name: 'b', shape: [2], data: Float32Array.of(5, 6) },
    ]);
    expect(parseSafetensors(bytes, 'x').tensors.map((x) => x.name)).toEqual(['w', 'b']);
  });

  it.each([
    [
      'overlapping offsets (a bias reading the kernel’s bytes)',
      file(h(t('kernel', 'F32', [4], [0, 16]), t('bias', 'F32', [2], [8, 16])), 16),
      /bias: data_offsets \[8,16\] start at byte 8, where the previous tensor .* ends at 16/,
    ],
    [
      'duplicate offsets',
      file(h(t('a', 'F32', [2], [0, 8]), t('b', 'F32', [2], [0, 8])), 8),
      /data_offsets \[0,8\] start at byte 0, where the previous tensor .* ends at 8/,
    ],
    [
      'a gap between tensors',
      file(h(t('a', 'F32', [2], [0, 8]), t('b', 'F32', [1], [12, 16])), 16),
      /b: data_offsets \[12,16\] start at byte 12, where the previous tensor .* ends at 8/,
    ],
    [
      'a first tensor that does not start at 0',
      file(h(t('a', 'F32', [1], [4, 8])), 8),
      /a: data_offsets \[4,8\] start at byte 4/,
    ],
    [
      'bytes after the last tensor',
      file(h(t('a', 'F32', [1], [0, 4])), 8),
      /the tensors end at byte 4 of 8 data bytes/,
    ],
    [
      'offsets past the data',
      file(h(t('a', 'F32', [4], [0, 16])), 8),
      /the tensors end at byte 16 of 8 data bytes/,
    ],
    ['an end before the start', file(h(t('a', 'F32', [0], [8, 4])), 8), /a: data_offsets \[8,4\]/],
    [
      'a tensor name given twice',
      file(h(t('w', 'F32', [1], [0, 4]), t('w', 'F32', [1], [4, 8])), 8),
      /tensor "w" is given twice/,
    ],
    [
      'a size that disagrees with the shape',
      file(h(t('w', 'F32', [3], [0, 8])), 8),
      /w: 8 bytes for F32 \[3\] \(12\)/,
    ],
    [
      'a shape whose size overflows',
      file(h(t('w', 'U8', [2 ** 40, 2 ** 40], [0, 8])), 8),
      /w: shape \[1099511627776,1099511627776\] is too large/,
    ],
    ['dtype constructor', file(h(t('w', 'constructor', [1], [0, 4])), 4), /dtype "constructor"/],
    ['dtype __proto__', file(h(t('w', '__proto__', [1], [0, 4])), 4), /dtype "__proto__"/],
    ['a negative dimension', file(h(t('w', 'F32', [-1], [0, 4])), 4), /shape \[-1\]/],
    ['a fractional dimension', file(h(t('w', 'F32', [0.5], [0, 4])), 4), /shape \[0\.5\]/],
    ['three offsets', file(h(t('w', 'F32', [1], [0, 4, 8])), 4), /data_offsets \[0,4,8\]/],
    ['text offsets', file(h(t('w', 'F32', [1], ['0', '4'])), 4), /data_offsets \["0","4"\]/],
    ['an entry that is not an object', file('{"w": null}', 0), /w: .*not an object/],
    [
      '__metadata__ that is not strings',
      file(h('"__metadata__": {"a": 1}', t('w', 'F32', [1], [0, 4])), 4),
      /__metadata__/,
    ],
    ['a header that is a list', file('[]', 0), /not a JSON object/],
    ['a header that is not UTF-8', file('{"\u00ff": 1}', 0).fill(0xff, 10, 12), /not JSON/],
    ['a header longer than the file', file('{}', 0, 1000n), /exceeds the file/],
    ['a header over 100 MB', file('{}', 0, 100_000_001n), /header/],
    ['fewer than 8 bytes', new Uint8Array(4), /shorter than/],
  ])('refuses %s', (_what, bytes, message) => {
    const run = () => parseSafetensors(bytes, 'x');
    expect(run).toThrow(WeightsError);
    expect(run).toThrow(message);
  });
});
