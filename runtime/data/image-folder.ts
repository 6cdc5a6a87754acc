/**
 * `folder:DIR`: image files in one sub-folder per class, DIR/<class>/…, or split into DIR/train/<class>/…
 * and DIR/test/<class>/…. Class names are the sub-folder names sorted by code point, indexed from 0;
 * the test split uses the training split's classes. Files are found recursively inside each class
 * folder, in sorted order; names starting with `.` are skipped. Every file must decode (image-decode.ts
 * says how images are converted and fitted); a file that does not, an empty class folder or a folder
 * with no class folders is a DataError naming the path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, imageArray, makeDataset, type DataSplits, type Dataset } from './dataset.js';
import { decodeImage, readImageFile, type ImageTarget } from './image-decode.js';

export interface FolderOptions {
  /** The model input [H, W, C]; a negative or absent H or W keeps the first image's size. */
  readonly input?: readonly number[];
  /** Images decoded at the same time (sharp decodes on libuv's thread pool). */
  readonly concurrency?: number;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function entries(dir: string): fs.Dirent[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => byCodePoint(a.name, b.name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT'
        ? `${dir}: no such directory`
        : code === 'ENOTDIR'
          ? `${dir}: not a directory (folder:DIR names a folder of class folders)`
          : `${dir}: cannot read (${code ?? String(e)})`,
    );
  }
}

function isDir(dir: string, e: fs.Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return fs.statSync(path.join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}

/** The class folders of a split folder, sorted. */
export function classFolders(dir: string): string[] {
  const list = entries(dir);
  const classes = list.filter((e) => isDir(dir, e)).map((e) => e.name);
  if (classes.length === 0) {
    const files = list.length;
    throw new DataError(
      `${dir}: no class folders: expected one sub-folder of images per class (${path.join(dir, 'cat', '1.png')}, …)` +
        (files ? `; found ${files} file${files === 1 ? '' : 's'} and no folders` : '; it is empty'),
    );
  }
  return classes;
}

/**
 * Every non-hidden file under dir, recursively, in sorted order; a folder reached again through a
 * symbolic link (a loop such as `ln -s . again`) is skipped. A loop over a stack, not recursion,
 * and no push(...list): a class folder may hold more files than a spread passes.
 */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>([realPath(dir)]);
  const stack: { dir: string; list: fs.Dirent[]; next: number }[] = [
    { dir, list: entries(dir), next: 0 },
  ];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next === top.list.length) {
      stack.pop();
      continue;
    }
    const e = top.list[top.next++];
    const p = path.join(top.dir, e.name);
    if (!isDir(top.dir, e)) out.push(p);
    else if (!seen.has(realPath(p))) {
      seen.add(realPath(p));
      stack.push({ dir: p, list: entries(p), next: 0 });
    }
  }
  return out;
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  f: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Loads one split folder with the given classes (its class folders must be among them). */
async function loadSplit(
  name: string,
  dir: string,
  classes: readonly string[],
  options: FolderOptions,
): Promise<Dataset> {
  const here = classFolders(dir);
  for (const c of here) {
    if (!classes.includes(c)) {
      throw new DataError(
        `${path.join(dir, c)}: class ${JSON.stringify(c)} is not among the training classes (${classes.join(', ')})`,
      );
    }
  }
  const files: { file: string; label: number }[] = [];
  for (const c of here) {
    const found = filesUnder(path.join(dir, c));
    if (found.length === 0)
      throw new DataError(`${path.join(dir, c)}: no images in this class folder`);
    for (const file of found) files.push({ file, label: classes.indexOf(c) });
  }
  const [ih, iw, ic] = options.input ?? [];
  const channels = ic !== undefined && ic > 0 ? ic : 3;
  const known = (d: number | undefined) => d !== undefined && d > 0;
  const first =
    known(ih) && known(iw)
      ? null
      : await decodeImage(readImageFile(files[0].file), files[0].file, { channels });
  const target: ImageTarget = {
    channels,
    height: first ? first.height : ih,
    width: first ? first.width : iw,
  };
  const per = target.height! * target.width! * channels;
  const images = imageArray(files.length, [target.height!, target.width!, channels], dir);
  const labels = Int32Array.from(files, (f) => f.label);
  await mapLimited(files, options.concurrency ?? 8, async ({ file }, i) => {
    const img = await decodeImage(readImageFile(file), file, target);
    images.set(img.data, i * per);
  });
  const ds = makeDataset(
    name,
    images,
    labels,
    [target.height!, target.width!, channels],
    classes.length,
    classes,
  );
  return { ...ds, source: dir };
}

/**
 * Loads `which` splits of DIR. With DIR/train or DIR/test present those are the splits; otherwise DIR
 * holds the class folders and is the training set (or, when only the test split is asked for, as by
 * `cnnc evaluate`, the test set).
 */
export async function loadImageFolder(
  dir: string,
  which: readonly ('train' | 'test')[] = ['train', 'test'],
  options: FolderOptions = {},
): Promise<Partial<DataSplits>> {
  const top = entries(dir);
  const base = path.basename(path.resolve(dir));
  const hasSplit = (s: string) => top.some((e) => e.name === s && isDir(dir, e));
  const out: { train?: Dataset; test?: Dataset } = {};
  if (!hasSplit('train') && !hasSplit('test')) {
    const classes = classFolders(dir);
    const split = which.includes('train') ? 'train' : 'test';
    out[split] = await loadSplit(`${base} ${split}`, dir, classes, options);
    return out;
  }
  const trainDir = path.join(dir, 'train');
  const testDir = path.join(dir, 'test');
  const classes = hasSplit('train') ? classFolders(trainDir) : classFolders(testDir);
  if (which.includes('train')) {
    if (!hasSplit('train'))
      throw new DataError(`${dir}: has a test folder but no train folder to train on`);
    out.train = await loadSplit(`${base} train`, trainDir, classes, options);
  }
  if (which.includes('test') && hasSplit('test'))
    out.test = await loadSplit(`${base} test`, testDir, classes, options);
  if (!out.train && !out.test)
    throw new DataError(`${dir}: has a train folder but no test folder to evaluate on`);
  return out;
}
