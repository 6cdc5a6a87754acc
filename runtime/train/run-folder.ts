/**
 * The run folder of `cnnc train --out DIR` (docs/security.md, "What cnnc writes and replaces"):
 *
 *   DIR/checkpoint/                 the latest checkpoint (checkpoint.ts)
 *   DIR/metrics.jsonl               one JSON line per epoch
 *   DIR/.cnnc-lock                  while a run writes the folder: { pid, host, started }
 *   DIR/.checkpoint.{tmp,old}-PID   only while a checkpoint is being replaced
 *
 * Opening it, before any training time is spent: the folder is created; a lock is taken (created
 * with O_EXCL; a lock whose process no longer runs on this host is taken over, with a note; any
 * other is refused, naming the process); a checkpoint left in `.checkpoint.old-PID` by a process
 * that died while saving is put back; and what the folder holds is judged. cnnc replaces only what
 * it recognises as its own — a checkpoint folder holding nothing but checkpoint files, a
 * metrics.jsonl of epoch lines — and refuses anything else, naming it. A fresh run into a folder
 * that holds a run is refused unless it resumes it (`--resume`) or replaces it (`--overwrite`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRegularFile } from '../safe-read.js';
import { foreignEntries, kindOf, lstatOrNone, removeOwnFolder, someNames } from '../safe-write.js';
import { CheckpointError, isCheckpointFile, LEFT_BY_SAVE, prepareRunDir } from './checkpoint.js';
import { fillText, RUN_FOLDER_TEXT } from '../../compiler/train/run-folder-text.js';

export interface RunFolder {
  readonly dir: string;
  readonly checkpoint: string;
  readonly metrics: string;
  /** Gives the lock back. */
  release(): void;
}

export interface RunFolderOptions {
  /** Continue the run in the folder (`--resume`). */
  readonly resume: boolean;
  /** Replace the run in the folder (`--overwrite`). */
  readonly overwrite: boolean;
  /**
   * Told what happens on the way in (a lock taken over, a checkpoint recovered, a run replaced) as
   * it happens, before the folder is judged: a run refused after recovering a checkpoint still
   * says that it put the checkpoint back.
   */
  readonly onNote: (note: string) => void;
}

const LOCK = '.cnnc-lock';

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  /** The program holding it: `cnnc train`, or an emitted train.py or train.ts. */
  readonly by?: string;
}

/** Who holds a lock, for a message: `train.py (process 12 on host, started …)`. */
function holderText(h: LockHolder): string {
  const by = typeof h.by === 'string' && h.by.length > 0 ? h.by.slice(0, 40) : 'a run';
  return `${by} (process ${h.pid} on ${h.host}, started ${h.started})`;
}

function readLock(file: string): LockHolder | null {
  try {
    const j = JSON.parse(readRegularFile(file, { maxBytes: 4096 }, (m) => new Error(m)).toString());
    return typeof j?.pid === 'number' && typeof j.host === 'string' && typeof j.started === 'string'
      ? (j as LockHolder)
      : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock: a release function, and a note when a stale lock was taken over. */
function takeLock(dir: string): { release: () => void; note: string | null } {
  const file = path.join(dir, LOCK);
  const me: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    started: new Date().toISOString(),
    by: 'cnnc train',
  };
  let note: string | null = null;
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL);
      fs.writeSync(fd, `${JSON.stringify(me)}\n`);
      fs.closeSync(fd);
      const release = () => {
        if (readLock(file)?.pid === me.pid) fs.rmSync(file, { force: true });
      };
      return { release, note };
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new CheckpointError(`cannot lock the output folder ${dir}: ${(e as Error).message}`);
    }
    const holder = readLock(file);
    if (attempt === 0 && holder && holder.host === me.host && !alive(holder.pid)) {
      note = `took over the lock of ${dir} from process ${holder.pid} (started ${holder.started}), which no longer runs`;
      fs.rmSync(file, { force: true });
      continue;
    }
    throw new CheckpointError(
      holder
        ? `${dir} is in use by another run: ${holderText(holder)}; ` +
            `wait for it to end or choose another --out` +
            (holder.host === me.host ? '' : `; if no run uses it, delete ${file}`)
        : `${dir} is locked (${file} exists but names no process); if no run uses it, delete ${file}`,
    );
  }
}

/** The epoch of the checkpoint in `dir` when it is a checkpoint folder cnnc wrote, else null. */
function ownCheckpointEpoch(dir: string): number | null {
  if (foreignEntries(dir, isCheckpointFile)?.length !== 0) return null;
  try {
    const meta = JSON.parse(
      readRegularFile(
        path.join(dir, 'cnnc.json'),
        { maxBytes: 2 ** 26 },
        (m) => new Error(m),
      ).toString(),
    ) as { format?: unknown; epoch?: unknown };
    return meta?.format === 'cnnc-checkpoint' && typeof meta.epoch === 'number' ? meta.epoch : null;
  } catch {
    return null;
  }
}

/**
 * Puts back a checkpoint that a process dying between saveCheckpoint's two renames left in
 * `.checkpoint.old-PID`, and removes what such processes left in `.checkpoint.tmp-PID` and old
 * copies when they hold checkpoint files only; one holding anything else is left whole (not
 * even its checkpoint files go), with a note. Runs under the lock, so no live run owns them.
 */
function recover(dir: string, checkpoint: string): string[] {
  const notes: string[] = [];
  const left = fs
    .readdirSync(dir)
    .filter((f) => LEFT_BY_SAVE.test(f))
    .map((f) => ({
      name: f,
      path: path.join(dir, f),
      epoch: ownCheckpointEpoch(path.join(dir, f)),
    }));
  if (!lstatOrNone(checkpoint)) {
    const best = left
      .filter((l) => l.name.startsWith('.checkpoint.old-') && l.epoch !== null)
      .sort((a, b) => b.epoch! - a.epoch!)[0];
    if (best) {
      fs.renameSync(best.path, checkpoint);
      notes.push(fillText(RUN_FOLDER_TEXT.recovered, { epoch: best.epoch!, name: best.name }));
    }
  }
  for (const l of left) {
    if (!lstatOrNone(l.path)) continue;
    const own = foreignEntries(l.path, isCheckpointFile)?.length === 0;
    if (!own || !removeOwnFolder(l.path, isCheckpointFile))
      notes.push(fillText(RUN_FOLDER_TEXT.leftInPlace, { path: l.path, program: 'cnnc' }));
  }
  return notes;
}

/** Why metrics.jsonl is not a log cnnc wrote (null when it is one, or absent). */
function foreignLog(file: string): string | null {
  const st = lstatOrNone(file);
  if (!st) return null;
  if (!st.isFile()) return 'it is not a regular file';
  let text: string;
  try {
    text = readRegularFile(file, { maxBytes: 2 ** 26 }, (m) => new Error(m)).toString('utf8');
  } catch (e) {
    return (e as Error).message;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const j = JSON.parse(line) as { epoch?: unknown } | null;
      if (typeof j?.epoch !== 'number') return 'its lines are not cnnc epoch records';
    } catch {
      return 'its lines are not cnnc epoch records';
    }
  }
  return null;
}

/**
 * Opens the run folder `dir` for a run: creates it, locks it, recovers an interrupted save and
 * checks what it holds (see the top of this file). Throws a CheckpointError that names what is in
 * the way; the caller must release() the folder when the run ends.
 */
export function openRunFolder(dir: string, options: RunFolderOptions): RunFolder {
  prepareRunDir(dir);
  const lock = takeLock(dir);
  try {
    const checkpoint = path.join(dir, 'checkpoint');
    const metrics = path.join(dir, 'metrics.jsonl');
    const note = options.onNote;
    if (lock.note) note(lock.note);
    recover(dir, checkpoint).forEach(note);
    const foreign = foreignEntries(checkpoint, isCheckpointFile);
    // An empty folder is no checkpoint, and nothing to keep.
    const ckStat =
      lstatOrNone(checkpoint)?.isDirectory() && fs.readdirSync(checkpoint).length === 0
        ? undefined
        : lstatOrNone(checkpoint);
    if (foreign === null || foreign.length || (ckStat && ownCheckpointEpoch(checkpoint) === null))
      throw new CheckpointError(
        `will not replace ${checkpoint}: ` +
          (foreign === null
            ? `it is ${kindOf(ckStat!)}, not a checkpoint folder`
            : foreign.length
              ? `it holds ${someNames(foreign)}, which cnnc did not write`
              : 'it is not a cnnc checkpoint (no readable cnnc.json)') +
          '; choose another --out, or move it away',
      );
    const log = foreignLog(metrics);
    if (log) throw new CheckpointError(`will not replace ${metrics}: ${log}; choose another --out`);
    const epoch = ckStat ? ownCheckpointEpoch(checkpoint) : null;
    const hasLog = (lstatOrNone(metrics)?.size ?? 0) > 0;
    if (!options.resume && (epoch !== null || hasLog)) {
      if (!options.overwrite)
        throw new CheckpointError(
          `${dir} holds a run (${epoch !== null ? `a checkpoint of epoch ${epoch}` : 'a metrics.jsonl'}): ` +
            'continue it with --resume, replace it with --overwrite, or choose another --out',
        );
      // --overwrite: start afresh; the previous run's files are cnnc's own (checked above).
      removeOwnFolder(checkpoint, isCheckpointFile);
      fs.rmSync(metrics, { force: true });
      note(`replacing the run in ${dir} (--overwrite)`);
    }
    return { dir, checkpoint, metrics, release: lock.release };
  } catch (e) {
    lock.release();
    throw e;
  }
}
