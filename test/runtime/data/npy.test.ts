/**
 * `.npy` headers as someone else wrote them: the header is a Python dict literal with exactly
 * `descr`, `fortran_order` and `shape`; the dtype is one cnnc reads (looked up so that `constructor`
 * or `__proto__` is no dtype); every dimension is a whole number ≥ 0; and the data is exactly as long
 * as the shape says. Anything else is a DataError naming the file — never garbage values, never an
 * internal error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../runtime/data/dataset.js';
import { parseNpy, readNpyFile } from '../../../runtime/data/npy.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { REPO } from '../../helpers/memory-host.js';

/** A version 1.0 .npy file with the header text as given (padded as NumPy pads it). */
function npy(header: string, body: Uint8Array | number, version = 1): Uint8Array {
  const data = typeof body === 'number' ? new Uint8Array(body) : body;
  const prefix = version === 1 ? 10 : 12;
  const text = header + ' '.repeat(63 - ((prefix + header.length) % 64)) + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return new Uint8Array(Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.from(data)]));
}

const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

describe('.npy headers', () => {
  it.each([
    ['float32, 2-D', dict('<f4', '(2, 2)'), 16, [2, 2, 1], 1],
    ['uint8 with a trailing comma', dict('|u1', '(2, 3, 1,)'), 6, [2, 3, 1], 1],
    ['float64, a stack', dict('<f8', '(3, 2, 2, 1)'), 96, [2, 2, 1], 3],
    [
      'double quotes and another key order',
      `{"shape": (2, 2), "fortran_order": False, "descr": "<f4"}`,
      16,
      [2, 2, 1],
      1,
    ],
    ['Python 2 long sizes', dict('<f4', '(2L, 2L)'), 16, [2, 2, 1], 1],
    ['an empty stack', dict('<f4', '(0, 2, 2, 1)'), 0, [2, 2, 1], 0],
  ])('reads %s', (_what, header, bytes, shape, count) => {
    const a = parseNpy(npy(header, bytes), 'a.npy');
    expect(a.shape).toEqual(shape);
    expect(a.count).toBe(count);
  });

  it('reads version 2 headers', () => {
    expect(parseNpy(npy(dict('<f4', '(2, 2)'), 16, 2), 'a.npy').shape).toEqual([2, 2, 1]);
  });

  it('reads what cnnc run writes', () => {
    const bytes = encodeNpy([2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
    expect([...parseNpy(bytes, 'y.npy').data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each([
    ['dtype `constructor`', dict('constructor', '(2, 2)'), 16, /dtype "constructor"/],
    ['dtype `__proto__`', dict('__proto__', '(2, 2)'), 16, /dtype "__proto__"/],
    ['dtype `toString`', dict('toString', '(2, 2)'), 16, /dtype "toString"/],
    ['a big-endian dtype', dict('>f4', '(2, 2)'), 16, /dtype ">f4"/],
    ['shape (-1, 4)', dict('<f4', '(-1, 4)'), 16, /dimension -1 .*not a size/],
    ['a fractional dimension', dict('<f4', '(2.5, 4)'), 40, /dimension 2\.5 .*not a size/],
    ['an exponent dimension', dict('<f4', '(1e3, 4)'), 16, /dimension 1e3 .*not a size/],
    ['dimensions past 2^53', dict('|u1', '(9007199254740993, 1)'), 4, /not a size/],
    ['a product past any file', dict('|u1', '(4294967296, 4294967296, 4)'), 4, /too large/],
    ['shape not a tuple', dict('<f4', '[2, 2]'), 16, /header/],
    ['shape missing', `{'descr': '<f4', 'fortran_order': False, }`, 16, /shape/],
    ['descr missing', `{'fortran_order': False, 'shape': (2, 2), }`, 16, /descr/],
    [
      'an extra key',
      `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}`,
      16,
      /key "x"/,
    ],
    [
      'a key twice',
      `{'descr': '<f4', 'descr': '|u1', 'fortran_order': False, 'shape': (2, 2)}`,
      16,
      /twice/,
    ],
    [
      'code in the header',
      `{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os')}`,
      16,
      /header/,
    ],
    ['text after the dict', `${dict('<f4', '(2, 2)')} junk`, 16, /header/],
    ['fortran_order not a bool', dict('<f4', '(2, 2)', '0'), 16, /fortran_order/],
    ['Fortran order', dict('<f4', '(2, 2)', 'True'), 16, /Fortran-order/],
    ['data too short', dict('<f4', '(2, 2)'), 12, /12 data bytes.*16/],
    ['data too long', dict('<f4', '(2, 2)'), 20, /20 data bytes.*16/],
  ])('refuses %s', (_what, header, bytes, message) => {
    const run = () => parseNpy(npy(header, bytes), 'a.npy');
    expect(run).toThrow(DataError);
    expect(run).toThrow(message);
  });

  it.each([
    ['no magic', new Uint8Array(20), /not a .npy file/],
    ['a header longer than the file', npy(dict('<f4', '(2, 2)'), 16).slice(0, 40), /header/],
    ['version 4', Object.assign(npy(dict('<f4', '(2, 2)'), 16), { 6: 4 }), /version 4/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => parseNpy(bytes, 'a.npy')).toThrow(message);
  });
});

describe('reading a .npy file', () => {
  it('refuses a FIFO at once (run in dist/, in a child process with a time limit)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-npy-'));
    const fifo = path.join(dir, 'x.npy');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(
      path.join(dir, 'm.cnn'),
      'model M {\n  input 2x2x1\n  flatten\n  dense 2\n}\n',
    );
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO, 'dist/compiler/cli/main.js'),
        'run',
        'm.cnn',
        '--weights',
        'w',
        '--input',
        'x.npy',
        '--threads',
        '1',
      ],
      { cwd: dir, encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.error, 'cnnc run did not end within 20 s').toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/x\.npy: a FIFO/);
    expect(() => readNpyFile(fifo)).toThrow(DataError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
