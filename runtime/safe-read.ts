/**
 * Reading files that come from elsewhere — a downloaded checkpoint, a weights manifest and its
 * shards, an array, a source — without being led astray (docs/security.md):
 *
 *  - only a regular file is read: a directory, a device (`/dev/zero` never ends) or a FIFO (it
 *    blocks until a writer comes) is refused, judged on the opened descriptor (opened with
 *    O_NONBLOCK, so a FIFO cannot block the open either);
 *  - its size is checked before anything is allocated: a file larger than the caller expects, or
 *    than MAX_READ_BYTES, is refused;
 *  - a path taken from a file's content (a manifest's shard names) must be a plain relative path
 *    that stays inside the folder it is relative to once symbolic links are resolved.
 *
 * Each reader passes its own error type (`fail`), so a refusal is a CheckpointError, WeightsError or
 * DataError naming the file, like any other problem with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Makes the error a reader throws from a message that names the file. */
export type Fail = (message: string) => Error;

/** The largest file read whole: 2 GiB − 1, Node's limit for a single read into one buffer. */
export const MAX_READ_BYTES = 2 ** 31 - 1;

export interface ReadLimits {
  /** Refuse a larger file, before reading it (default and upper bound: MAX_READ_BYTES). */
  readonly maxBytes?: number;
  /** Refuse a file of any other size, before reading it. */
  readonly exactBytes?: number;
  /** What the expected size means, for the message: `1,024 float32 values`. */
  readonly expected?: string;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Reads a regular file whole after checking what it is and how large it is; `fail` makes the error
 * for every refusal (no such file, not a regular file, too large, wrong size, changed meanwhile).
 */
export function readRegularFile(file: string, limits: ReadLimits, fail: Fail): Buffer {
  // Look before opening: a device is never opened at all.
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = errno(e);
    throw fail(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code})`);
  }
  if (!st.isFile()) throw fail(`${file}: ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw fail(`${file}: cannot read (${errno(e)})`);
  }
  try {
    // What was opened is what counts: the path may have changed since it was looked at.
    st = fs.fstatSync(fd);
    if (!st.isFile()) throw fail(`${file}: ${kindOf(st)}, not a regular file`);
    const size = st.size;
    const expected = limits.expected ? ` (${limits.expected})` : '';
    if (limits.exactBytes !== undefined && size !== limits.exactBytes)
      throw fail(`${file}: ${count(size)} bytes, expected ${count(limits.exactBytes)}${expected}`);
    const max = Math.min(limits.maxBytes ?? MAX_READ_BYTES, MAX_READ_BYTES);
    if (size > max)
      throw fail(`${file}: ${count(size)} bytes, more than the ${count(max)} expected${expected}`);
    const bytes = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      let n: number;
      try {
        n = fs.readSync(fd, bytes, got, size - got, got);
      } catch (e) {
        throw fail(`${file}: cannot read (${errno(e)})`);
      }
      if (n === 0) break;
      got += n;
    }
    if (got !== size)
      throw fail(`${file}: changed while being read (${count(got)} of ${count(size)} bytes)`);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why `name`, a path read from a file's content, may not name a file beside that file: it must be
 * a non-empty relative path without `..`, a drive or a NUL. Null when it may.
 */
export function unsafeRelativePath(name: string): string | null {
  if (name === '') return 'is empty';
  if (name.includes('\0')) return 'holds a NUL character';
  if (path.isAbsolute(name) || /^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) return 'is absolute';
  if (name.split(/[\\/]/).includes('..')) return 'leaves the folder (`..`)';
  return null;
}

/** `file` is `dir` or lies below it (both absolute and normalised). */
export function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Reads `name`, a path taken from the content of a file in `dir` (a manifest's shard), as a regular
 * file that stays inside `dir` once symbolic links are resolved. `source` (the manifest) labels the
 * refusal of an unsafe name.
 */
export function readFileInside(
  dir: string,
  name: string,
  source: string,
  limits: ReadLimits,
  fail: Fail,
): Buffer {
  const why = unsafeRelativePath(name);
  if (why) throw fail(`${source}: the path ${JSON.stringify(name)} ${why}`);
  const file = path.join(dir, name);
  let real: string;
  let realDir: string;
  try {
    realDir = fs.realpathSync.native(dir);
    real = fs.realpathSync.native(file);
  } catch (e) {
    const code = errno(e);
    throw fail(
      code === 'ENOENT'
        ? `${file}: no such file`
        : code === 'ELOOP'
          ? `${file}: a symbolic link that loops`
          : `${file}: cannot read (${code})`,
    );
  }
  if (!isInside(real, realDir))
    throw fail(
      `${source}: the path ${JSON.stringify(name)} leads outside ${dir} through a symbolic link`,
    );
  return readRegularFile(real, limits, fail);
}
