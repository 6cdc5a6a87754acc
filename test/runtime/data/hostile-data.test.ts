/**
 * Data files from elsewhere that must not hang or exhaust memory: an image path that is a FIFO (a
 * read would block until a writer comes) or a device, an IDX file that inflates without end (a gzip
 * bomb), and a CIFAR-10 class-name file that is not a regular file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../runtime/data/dataset.js';
import { readImageFile } from '../../../runtime/data/image-decode.js';
import { parseIdx } from '../../../runtime/data/idx.js';
import { loadCifar10 } from '../../../runtime/data/cifar10.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-hostile-data-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('image files', () => {
  it('refuses a FIFO at once instead of blocking on it', () => {
    const fifo = path.join(dir, 'digit.png');
    execFileSync('mkfifo', [fifo]);
    expect(() => readImageFile(fifo)).toThrow(DataError);
    expect(() => readImageFile(fifo)).toThrow(/FIFO/);
  });

  it('refuses a device that never ends', () => {
    expect(() => readImageFile('/dev/zero')).toThrow(/device, not a regular file/);
  });

  it('refuses a directory, naming it', () => {
    expect(() => readImageFile(dir)).toThrow(new RegExp(`${dir}: a directory`));
  });
});

describe('gzip-compressed IDX', () => {
  const header = Buffer.from([0, 0, 0x08, 1, 0, 0x40, 0, 0]); // uint8, one dim of 4,194,304
  it('stops inflating at the cap (a gzip bomb)', () => {
    const bomb = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(4 * 2 ** 20)]), { level: 9 });
    expect(bomb.length).toBeLessThan(2 ** 15);
    expect(() => parseIdx(bomb, 'bomb.gz', 2 ** 20)).toThrow(
      /bomb\.gz: inflates to more than 1,048,576 bytes/,
    );
  });

  it('reads what fits under the cap', () => {
    const ok = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(4 * 2 ** 20)]));
    expect(parseIdx(ok, 'ok.gz', 8 * 2 ** 20).dims).toEqual([4 * 2 ** 20]);
  });
});

describe('CIFAR-10 class names', () => {
  it('refuses a batches.meta.txt that is a FIFO', () => {
    const cifar = path.join(dir, 'cifar');
    fs.mkdirSync(cifar);
    execFileSync('mkfifo', [path.join(cifar, 'batches.meta.txt')]);
    fs.writeFileSync(path.join(cifar, 'test_batch.bin'), Buffer.alloc(3073 * 2));

    expect(() => loadCifar10(cifar, ['test'])).toThrow(/batches\.meta\.txt: a FIFO/);
  });
});
