/**
 * Writing an emitted project into a folder (`cnnc compile --emit pytorch -o DIR`) without losing
 * anything that is not ours:
 *
 *   - DIR/.cnnc-emit.json records the files cnnc wrote (name and sha256). A non-empty folder without
 *     it is refused, naming what is there, unless --force; even then only the files cnnc emits are
 *     overwritten and nothing else is touched.
 *   - Compiling again into a folder with the record replaces exactly cnnc's files and leaves every
 *     other file alone; a file of the user's that has the name of one cnnc now emits (and did not
 *     write before) is refused as above. A file cnnc wrote before and no longer emits is removed only
 *     when it still holds what cnnc wrote.
 *   - The files are written into a temporary folder beside DIR first; a new DIR is that folder
 *     renamed, an existing one gets each file by rename (atomic per file), the record last.
 *   - A target that is a file, a FIFO, unwritable, or where the file system creates no folders
 *     (/proc) is a clear error; folders are made one level at a time (runtime/safe-write.ts
 *     makeFolder), and nothing is read from a path that is not a regular file, so nothing blocks.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeFolder, reason } from '../../runtime/safe-write.js';

export const EMIT_RECORD = '.cnnc-emit.json';

export class EmitFolderError extends Error {}

export interface FileToWrite {
  readonly path: string;
  readonly text: string;
}

interface EmitRecord {
  readonly generator: 'cnnc';
  readonly version: 1;
  readonly files: Readonly<Record<string, string>>;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The record of a previous run, or null; a record that is not ours counts as a foreign file. */
function readRecord(dir: string): EmitRecord | null {
  const file = path.join(dir, EMIT_RECORD);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return null;
  }
  if (!st.isFile() || st.size > 1_000_000) return null;
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<EmitRecord>;
    if (r.generator !== 'cnnc' || typeof r.files !== 'object' || r.files === null) return null;
    const files = Object.entries(r.files).filter(
      ([k, v]) =>
        typeof v === 'string' && !/[/\\\0]/.test(k) && !['', '.', '..', EMIT_RECORD].includes(k),
    );
    return { generator: 'cnnc', version: 1, files: Object.fromEntries(files) };
  } catch {
    return null;
  }
}

/** Same content as `hash`, for a regular file only. */
function holds(file: string, hash: string): boolean {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() && sha256(fs.readFileSync(file)) === hash;
  } catch {
    return false;
  }
}

function listing(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => JSON.stringify(n));
  return `${shown.join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`;
}

/**
 * Writes `files` into `dir` by the rules of the header; returns the names written. Messages name the
 * folder as `shown` (what the user typed).
 */
export function writeEmittedFolder(
  dir: string,
  files: readonly FileToWrite[],
  options: { readonly force: boolean; readonly shown?: string },
): string[] {
  const target = path.resolve(dir);
  dir = options.shown ?? dir;
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new EmitFolderError(`cannot write the project to ${dir}: ${reason(e)}`);
  }
  if (st && !st.isDirectory())
    throw new EmitFolderError(
      `cannot write the project to ${dir}: it is a ${st.isFile() ? 'file' : 'special file'}, not a folder`,
    );
  const names = files.map((f) => f.path);
  const record: EmitRecord = {
    generator: 'cnnc',
    version: 1,
    files: Object.fromEntries(files.map((f) => [f.path, sha256(f.text)])),
  };
  let previous: EmitRecord | null = null;
  if (st) {
    let entries: string[];
    try {
      entries = fs.readdirSync(target).sort();
    } catch (e) {
      throw new EmitFolderError(`cannot read the folder ${dir}: ${reason(e)}`);
    }
    previous = readRecord(target);
    // A folder cnnc wrote (it has the record) may hold the user's files too: they are left alone,
    // unless one has the name of a file cnnc now emits and did not write before. A folder without
    // the record must be empty.
    const recorded = new Set(Object.keys(previous?.files ?? {}));
    const foreign = previous
      ? entries.filter((e) => names.includes(e) && !recorded.has(e))
      : entries;
    if (foreign.length && !options.force)
      throw new EmitFolderError(
        `${dir} ${previous ? 'holds files cnnc did not write but would replace' : 'is not empty and cnnc did not write it'}: ` +
          `${listing(foreign)}; choose a new folder, or add --force to write cnnc's files ` +
          `(${names.join(', ')}) there and leave the others alone`,
      );
  }
  const parent = path.dirname(target);
  const tmpName = `.${path.basename(target)}.cnnc-tmp-${process.pid}`;
  let tmp = path.join(parent, tmpName);
  try {
    makeFolder(parent, (why) => new EmitFolderError(`cannot write the project to ${dir}: ${why}`));
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      fs.mkdirSync(tmp);
    } catch (e) {
      // A folder that exists in a parent we may not write (`-o /tmp`): stage inside it instead.
      if (!st) throw e;
      tmp = path.join(target, `.cnnc-tmp-${process.pid}`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
    }
    for (const f of files) fs.writeFileSync(path.join(tmp, f.path), f.text);
    fs.writeFileSync(path.join(tmp, EMIT_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    if (!st) {
      fs.renameSync(tmp, target);
      return names;
    }
    for (const f of [...names, EMIT_RECORD]) fs.renameSync(path.join(tmp, f), path.join(target, f));
    fs.rmdirSync(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof EmitFolderError) throw e;
    throw new EmitFolderError(`cannot write the project to ${dir}: ${reason(e)}`);
  }
  // Files an earlier run wrote that this one does not: removed when still as cnnc wrote them.
  for (const [name, hash] of Object.entries(previous?.files ?? {}))
    if (!names.includes(name) && holds(path.join(target, name), hash))
      fs.rmSync(path.join(target, name), { force: true });
  return names;
}
