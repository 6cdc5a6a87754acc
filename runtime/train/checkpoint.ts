/**
 * Checkpoints in TensorFlow.js's weights format plus our metadata, written atomically: the files go
 * to a temporary folder beside the target, which then replaces it by rename, so a crash, a full disk
 * or a NaN never leaves a half-written checkpoint and never loses the previous one.
 *
 *   DIR/model.json     { format, generatedBy, weightsManifest: [{ paths: ['weights.bin'], weights:
 *                        [{ name, shape, dtype: 'float32' }] }] }  — names are `${node}/${weight}`
 *   DIR/weights.bin    the weights, float32 little-endian, in manifest order
 *   DIR/optimizer.bin  the optimiser's slots, in the order cnnc.json lists them
 *   DIR/cnnc.json      metadata: model name, source and IR hashes, weight shapes, optimiser state,
 *                      epoch, step, metrics, and where the random streams stand (dropout draws)
 *
 * The run's other output, the metrics log beside the checkpoint, goes through the same writer
 * (prepareRunDir, writeLog), so that a folder that cannot be created, a file where the folder
 * should be, or a full disk is one CheckpointError that names the path and says what was kept.
 * Tests replace the writer (useFileWriter) to fail as a full disk does.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../../compiler/ir/graph.js';
import {
  CHECKPOINT_FILE_NAMES,
  fillText,
  INTERRUPTED_SAVE,
  RUN_FOLDER_TEXT,
} from '../../compiler/train/run-folder-text.js';
import { JsonCheck, key } from '../json-check.js';
import { readFileInside } from '../safe-read.js';
import { makeFolder, reason, removeOwnFolder } from '../safe-write.js';
import { crashPoint } from '../test-hooks.js';
import { checkpointFiles, irHashText } from './checkpoint-files.js';
import { manifestOf, type TfjsManifestGroup } from '../weights/tfjs-format.js';
import { WeightsError } from '../weights/tensor.js';
import type { OptimizerConfig, OptimizerState, SavedTensor } from './optimizer-config.js';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointMeta {
  readonly format: 'cnnc-checkpoint';
  readonly version: typeof CHECKPOINT_VERSION;
  readonly model: string;
  readonly sourceHash: string;
  readonly irHash: string;
  readonly weights: Readonly<Record<string, readonly number[]>>;
  readonly optimizer: {
    readonly config: OptimizerConfig;
    readonly step: number;
    readonly slots: readonly { readonly name: string; readonly shape: readonly number[] }[];
  } | null;
  readonly epoch: number;
  readonly globalStep: number;
  readonly metrics: unknown;
  /**
   * Where the model's random streams stand, so that a resumed run draws what an uninterrupted one
   * would: `dropoutDraws` is the lowered model's count of dropout masks drawn so far
   * (runtime/tfjs/lower.ts `randomDraws()`; restore it with `setRandomDraws`). Absent in
   * checkpoints written before it existed: the stream then restarts.
   */
  readonly rng?: { readonly dropoutDraws: number };
  /**
   * A detector's classes as its COCO training data names them (class index → name and category
   * id), so that `cnnc predict` labels boxes and writes COCO results. Absent for classifiers.
   */
  readonly classes?: {
    readonly names: readonly string[];
    readonly categoryIds: readonly number[];
  };
}

/**
 * The metadata of the checkpoint written after an epoch (cnnc train, and its detector trainer):
 * the weights' shapes and the optimizer's slots taken from the engine, the rest as given.
 */
export function epochCheckpointMeta(p: {
  readonly model: string;
  readonly sourceHash: string;
  readonly irHash: string;
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly optimizer: OptimizerState | null;
  readonly optimizerConfig: OptimizerConfig;
  readonly epoch: number;
  readonly globalStep: number;
  readonly metrics: unknown;
  readonly rng?: CheckpointMeta['rng'];
  readonly classes?: CheckpointMeta['classes'];
}): CheckpointMeta {
  return {
    format: 'cnnc-checkpoint',
    version: CHECKPOINT_VERSION,
    model: p.model,
    sourceHash: p.sourceHash,
    irHash: p.irHash,
    weights: Object.fromEntries(p.weights.map((w) => [w.name, w.shape])),
    optimizer: p.optimizer && {
      config: p.optimizerConfig,
      step: p.optimizer.step,
      slots: p.optimizer.slots.map((s) => ({ name: s.name, shape: s.shape })),
    },
    epoch: p.epoch,
    globalStep: p.globalStep,
    metrics: p.metrics,
    ...(p.rng ? { rng: p.rng } : {}),
    ...(p.classes ? { classes: p.classes } : {}),
  };
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly weights: readonly SavedTensor[];
  readonly optimizer: OptimizerState | null;
}

/** A checkpoint that cannot be written, read or used: the message says why. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const checkpointError = (message: string) => new CheckpointError(message);

/** The files of a checkpoint folder: the only ones cnnc deletes when it replaces one. */
export const CHECKPOINT_FILES: ReadonlySet<string> = new Set(CHECKPOINT_FILE_NAMES);

export const isCheckpointFile = (name: string) => CHECKPOINT_FILES.has(name);

/** The folders an interrupted save leaves (`.checkpoint.tmp-PID`, `.checkpoint.old-PID`). */
export const LEFT_BY_SAVE = new RegExp(INTERRUPTED_SAVE);

/** How checkpoint and log files are written. */
export interface FileWriter {
  writeFile(file: string, data: string | Uint8Array): void;
  appendFile(file: string, data: string): void;
}

const nodeWriter: FileWriter = {
  writeFile: (file, data) => fs.writeFileSync(file, data),
  appendFile: (file, data) => fs.appendFileSync(file, data),
};

let writer: FileWriter = nodeWriter;

/**
 * Replaces the function that writes checkpoint and log files (null: back to node:fs), e.g. with one
 * that fails as a full disk does. For tests: the CLI never calls it.
 */
export function useFileWriter(w: FileWriter | null): void {
  writer = w ?? nodeWriter;
}

/**
 * Creates the run's output folder (and its parents) and checks it is writable: a clear
 * CheckpointError naming it when it is not, before any training time is spent.
 */
export function prepareRunDir(dir: string): void {
  makeFolder(dir, (why) => new CheckpointError(`cannot write to the output folder ${dir}: ${why}`));
  const probe = path.join(dir, `.cnnc-write-test-${process.pid}`);
  try {
    writer.writeFile(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    throw new CheckpointError(`cannot write to the output folder ${dir}: ${reason(e)}`);
  }
}

/**
 * Writes (or, with append, adds to) a log file of the run. On failure a CheckpointError that says
 * the checkpoint is kept: logs are written after the checkpoint they describe.
 */
export function writeLog(file: string, text: string, append: boolean): void {
  try {
    if (append) writer.appendFile(file, text);
    else writer.writeFile(file, text);
  } catch (e) {
    throw new CheckpointError(`cannot write ${file}: ${reason(e)} (the checkpoint is kept)`);
  }
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A hash of what the weights mean: node names, ops, attributes, wiring, freezing and weight shapes.
 * Spans, comments and the train block are left out, so editing them keeps checkpoints usable.
 */
export function irHash(graph: Graph): string {
  return sha256(irHashText(graph));
}

/**
 * Replaces the checkpoint in `dir`: the files go to `.NAME.tmp-PID` beside it, the previous
 * checkpoint is renamed to `.NAME.old-PID`, the new one renamed into place, and the old one removed
 * (its own files only). A process that dies between the two renames leaves `.NAME.old-PID`, which
 * the next `cnnc train` in the folder recovers (run-folder.ts).
 */
export function saveCheckpoint(dir: string, ck: Checkpoint): void {
  const parent = path.dirname(dir);
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}`);
  const old = path.join(parent, `.${path.basename(dir)}.old-${process.pid}`);
  try {
    makeFolder(parent, (why) => new Error(why));
    removeOwnFolder(tmp, isCheckpointFile);
    fs.mkdirSync(tmp);
    // cnnc.json last: a folder holding it is complete.
    for (const [name, data] of checkpointFiles(ck)) writer.writeFile(path.join(tmp, name), data);
    const existed = fs.existsSync(dir);
    if (existed) {
      fs.renameSync(dir, old);
      crashPoint('checkpoint-between-renames');
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (existed) fs.renameSync(old, dir);
      throw e;
    }
    if (existed) removeOwnFolder(old, isCheckpointFile);
  } catch (e) {
    try {
      removeOwnFolder(tmp, isCheckpointFile);
    } catch {
      // nothing to clean up where nothing could be written
    }
    throw new CheckpointError(
      `cannot write the checkpoint ${dir}: ${reason(e)}${fs.existsSync(path.join(dir, 'cnnc.json')) ? ' (the previous checkpoint is kept)' : ''}`,
    );
  }
}

/** The largest cnnc.json or model.json a checkpoint may hold. */
const MAX_JSON_BYTES = 64 * 2 ** 20;

/** Reads `name`, a JSON file of the checkpoint in `dir` (inside it: not a link out of it). */
function readJson(dir: string, name: string): unknown {
  const file = path.join(dir, name);
  const bytes = readFileInside(dir, name, dir, { maxBytes: MAX_JSON_BYTES }, checkpointError);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new CheckpointError(`${file}: not JSON (${(e as Error).message})`);
  }
}

/**
 * The metadata of cnnc.json, every field checked: a wrong type anywhere is a CheckpointError that
 * names the file and the field.
 */
function checkMeta(json: unknown, file: string): CheckpointMeta {
  const j = new JsonCheck(file, checkpointError);
  const o = j.object(json, '');
  if (o.format !== 'cnnc-checkpoint' || o.version !== CHECKPOINT_VERSION)
    throw new CheckpointError(`${file}: not a cnnc checkpoint of version ${CHECKPOINT_VERSION}`);
  j.string(o.model, 'model');
  j.string(o.sourceHash, 'sourceHash');
  j.string(o.irHash, 'irHash');
  for (const [name, shape] of Object.entries(j.object(o.weights, 'weights')))
    j.shape(shape, key('weights', name));
  if (o.optimizer !== null && o.optimizer !== undefined) {
    const opt = j.object(o.optimizer, 'optimizer');
    j.string(j.object(opt.config, 'optimizer.config').name, 'optimizer.config.name');
    j.count(opt.step, 'optimizer.step');
    j.array(opt.slots, 'optimizer.slots').forEach((slot, i) => {
      const s = j.object(slot, `optimizer.slots[${i}]`);
      j.string(s.name, `optimizer.slots[${i}].name`);
      j.shape(s.shape, `optimizer.slots[${i}].shape`);
    });
  }
  j.count(o.epoch, 'epoch');
  j.count(o.globalStep, 'globalStep');
  if (o.rng !== undefined) j.count(j.object(o.rng, 'rng').dropoutDraws, 'rng.dropoutDraws');
  if (o.classes !== undefined) {
    const c = j.object(o.classes, 'classes');
    const names = j.strings(c.names, 'classes.names');
    const ids = j.array(c.categoryIds, 'classes.categoryIds');
    ids.forEach((id, i) => j.count(id, `classes.categoryIds[${i}]`));
    if (ids.length !== names.length)
      throw new CheckpointError(`${file}: classes.names and classes.categoryIds differ in length`);
  }
  return {
    ...(o as unknown as CheckpointMeta),
    optimizer: (o.optimizer ?? null) as CheckpointMeta['optimizer'],
  };
}

/**
 * Reads `name` beside model.json (a shard, optimizer.bin) as the float32 values of `specs`: a
 * regular file inside the checkpoint of exactly the size they need, checked before reading.
 */
function split(
  dir: string,
  name: string,
  source: string,
  specs: readonly { name: string; shape: readonly number[] }[],
): SavedTensor[] {
  const need = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const bytes = readFileInside(
    dir,
    name,
    source,
    { exactBytes: need * 4, expected: `${need.toLocaleString('en-US')} float32 values` },
    checkpointError,
  );
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  );
  let o = 0;
  return specs.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const t = { name: w.name, shape: w.shape, data: all.slice(o, o + n) };
    o += n;
    return t;
  });
}

/** Finds the checkpoint in DIR: DIR itself when it has cnnc.json, else DIR/checkpoint. */
export function checkpointDir(dir: string): string {
  if (fs.existsSync(path.join(dir, 'cnnc.json'))) return dir;
  const inner = path.join(dir, 'checkpoint');
  if (fs.existsSync(path.join(inner, 'cnnc.json'))) return inner;
  const interrupted = fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()
    ? fs.readdirSync(dir).find((f) => LEFT_BY_SAVE.exec(f)?.[1] === 'old')
    : undefined;
  const fix = `cnnc train --resume --out ${dir}`;
  throw new CheckpointError(
    `${dir}: no checkpoint here (no cnnc.json in it or in ${inner})` +
      (interrupted ? `; ${fillText(RUN_FOLDER_TEXT.interrupted, { name: interrupted, fix })}` : ''),
  );
}

export function loadCheckpoint(dir: string): Checkpoint {
  const d = checkpointDir(dir);
  const metaFile = path.join(d, 'cnnc.json');
  const meta = checkMeta(readJson(d, 'cnnc.json'), metaFile);
  const modelFile = path.join(d, 'model.json');
  let manifest: TfjsManifestGroup[];
  try {
    manifest = manifestOf(readJson(d, 'model.json'), modelFile);
  } catch (e) {
    if (e instanceof WeightsError) throw new CheckpointError(e.message);
    throw e;
  }
  const weights: SavedTensor[] = [];
  for (const group of manifest) {
    if (group.paths.length !== 1 || group.weights.some((w) => w.dtype !== 'float32'))
      throw new CheckpointError(`${modelFile}: expected float32 weights in one shard per group`);
    weights.push(...split(d, group.paths[0], modelFile, group.weights));
  }
  const optimizer = meta.optimizer
    ? {
        name: meta.optimizer.config.name,
        step: meta.optimizer.step,
        slots: split(d, 'optimizer.bin', metaFile, meta.optimizer.slots),
      }
    : null;
  return { meta, weights, optimizer };
}

/**
 * Differences between the weights a checkpoint holds and those a model expects, one line each:
 * missing, unexpected, or of another shape. Empty when they match.
 */
export function weightDifferences(
  saved: readonly { name: string; shape: readonly number[] }[],
  expected: ReadonlyMap<string, readonly number[]>,
): string[] {
  const out: string[] = [];
  const have = new Map(saved.map((w) => [w.name, w.shape]));
  for (const [name, shape] of expected) {
    const s = have.get(name);
    if (!s)
      out.push(
        `${name}: missing from the checkpoint (the model has ${shape.join('x') || 'a scalar'})`,
      );
    else if (s.join('x') !== shape.join('x'))
      out.push(`${name}: the checkpoint has ${s.join('x')}, the model has ${shape.join('x')}`);
  }
  for (const [name, s] of have)
    if (!expected.has(name))
      out.push(`${name}: in the checkpoint (${s.join('x')}) but not in the model`);
  return out;
}
