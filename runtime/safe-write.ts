/**
 * Where cnnc writes, and what it may replace (docs/security.md, "What cnnc writes and replaces"):
 *
 *  - an output folder is created one level at a time, so that a path the file system will not
 *    create (`/proc/x`, where Node 20's recursive mkdirSync loops forever) fails at once with a
 *    message naming it;
 *  - an output file is written to a temporary file beside it and renamed over the target, and it
 *    replaces only a regular file: a folder or a link at the target is refused, and a character
 *    device or FIFO (`/dev/null`, a pipe) is written into, never replaced;
 *  - a folder cnnc replaces (a checkpoint, a TensorFlow.js weights folder) must hold only files cnnc
 *    writes there, and is removed file by file, never recursively: a file cnnc did not write is
 *    never deleted.
 *
 * Every command with an output path comes through here. Each caller passes its own error type.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Fail } from './safe-read.js';

/** The error code of a failed file operation with what it means (ENOSPC, ENOTDIR, …). */
export function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'ENOSPC, the disk is full';
  if (code === 'ENOTDIR' || code === 'EEXIST') return `${code}, a file is in the way of a folder`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${code}, not writable`;
  if (code === 'ENOENT') return 'ENOENT, the file system does not allow creating it there';
  return code ?? (e as Error).message;
}

/** What a path is, for a message: `a folder`, `a symbolic link`, `a regular file`, … */
export function kindOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a regular file';
}

/** lstat, or undefined when nothing is there. */
export function lstatOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Creates `dir` and its missing parents one level at a time; a part of the path that exists but is
 * not a folder, or a folder the file system will not create, fails at once. `fail` gets the reason
 * (`ENOTDIR, /a/b is a regular file, not a folder`) and makes the caller's error.
 */
export function makeFolder(dir: string, fail: Fail): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fail(`cannot create ${d}: ${reason(e)}`);
    }
    if (st) {
      if (!st.isDirectory()) throw fail(`ENOTDIR, ${d} is ${kindOf(st)}, not a folder`);
      break;
    }
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw fail(`cannot create ${d}: ${reason(e)}`);
    }
  }
}

/**
 * Makes sure a file may be written at `target` and says how: its folder exists (created if need
 * be); nothing there, or a regular file, is written to a temporary file and renamed over (`file`);
 * a character device or FIFO, through links too (`/dev/null`, `/dev/stdout`, a shell's `>(…)`), is
 * written into and never replaced (`stream`). Anything else — a folder, a link to a file or folder,
 * a block device, a socket — is refused.
 */
export function prepareOutputFile(target: string, fail: Fail): 'file' | 'stream' {
  makeFolder(path.dirname(target), (why) => fail(`cannot write ${target}: ${why}`));
  const st = lstatOrNone(target);
  if (!st || st.isFile()) return 'file';
  let real: fs.Stats | undefined;
  try {
    real = fs.statSync(target);
  } catch {
    real = undefined;
  }
  if (real && (real.isCharacterDevice() || real.isFIFO())) return 'stream';
  throw fail(
    `will not replace ${target}: it is ${kindOf(st)}${st.isSymbolicLink() && real ? ` to ${kindOf(real)}` : ''}, ` +
      'and cnnc replaces only a regular file',
  );
}

/**
 * Writes `data` to `target`: atomically (a temporary file beside it, then a rename) where it is a
 * file, straight into it where it is a device or FIFO (prepareOutputFile).
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, fail: Fail): void {
  if (prepareOutputFile(target, fail) === 'stream') {
    try {
      fs.writeFileSync(target, data);
    } catch (e) {
      throw fail(`cannot write ${target}: ${reason(e)}`);
    }
    return;
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw fail(`cannot write ${target}: ${reason(e)}`);
  }
}

/**
 * The entries of a folder that a cnnc writer does not recognise as its own (`own` judges a file
 * name); empty when every entry is cnnc's or nothing is there. Null when the path is not a folder
 * (a link to one included).
 */
export function foreignEntries(dir: string, own: (name: string) => boolean): string[] | null {
  const st = lstatOrNone(dir);
  if (!st) return [];
  if (!st.isDirectory()) return null;
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.isFile() || !own(e.name))
    .map((e) =>
      e.isFile() ? e.name : `${e.name} (${e.isDirectory() ? 'a folder' : 'not a file'})`,
    )
    .sort();
}

/**
 * Removes a folder cnnc wrote, file by file: only files `own` recognises are deleted, and the
 * folder itself only if it is then empty. Returns whether it is gone.
 */
export function removeOwnFolder(dir: string, own: (name: string) => boolean): boolean {
  const st = lstatOrNone(dir);
  if (!st) return true;
  if (!st.isDirectory()) return false;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    if (e.isFile() && own(e.name)) fs.unlinkSync(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** A list of names for a message: `a, b, c` or `a, b, c, … (7 in all)`. */
export function someNames(names: readonly string[]): string {
  return names.length > 3
    ? `${names.slice(0, 3).join(', ')}, … (${names.length} in all)`
    : names.join(', ');
}
