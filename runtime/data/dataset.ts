/**
 * The in-memory dataset every source produces: images as one Float32Array in NHWC order (values
 * usually in [0, 1]) and integer class labels. Shuffling, splitting and batching are seeded so that a
 * run is reproducible; nothing here touches the file system.
 */

export interface Dataset {
  readonly name: string;
  /** N·H·W·C floats, sample-major, channels last. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  /** Per-sample shape [H, W, C]. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  /** The file or folder the samples came from, for error messages. */
  readonly source?: string;
}

/** What a data source yields: training and test sets (either may be absent). */
export interface DataSplits {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** A user-facing data problem (missing or corrupt file, wrong shape): the CLI prints the message. */
export class DataError extends Error {
  override readonly name = 'DataError';
}

export function makeDataset(
  name: string,
  images: Float32Array,
  labels: Int32Array,
  shape: readonly [number, number, number],
  numClasses: number,
  classNames?: readonly string[],
): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  if (images.length !== labels.length * per) {
    throw new DataError(
      `${name}: ${labels.length} labels but ${images.length / per} images of ${shape.join('x')}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new DataError(
        `${name}: label ${l} of sample ${i} is out of range: expected 0..${numClasses - 1}`,
      );
    }
  }
  return { name, images, labels, count: labels.length, shape, numClasses, classNames };
}

/** Node 20's typed arrays hold at most 2^32 values (`new Float32Array(2 ** 32 + 1)` throws). */
export const MAX_ARRAY_VALUES = 2 ** 32;

/**
 * The Float32Array for `count` images of `shape`, or a DataError naming `what` and the numbers when
 * it cannot be had: more values than a typed array holds, or more memory than the machine gives
 * (either used to escape as a RangeError: "Invalid typed array length", "Array buffer allocation
 * failed").
 */
export function imageArray(count: number, shape: readonly number[], what: string): Float32Array {
  const values = shape.reduce((a, b) => a * b, count);
  const sizes = `${count.toLocaleString('en-US')} images of ${shape.join('x')}`;
  if (!Number.isSafeInteger(values) || values > MAX_ARRAY_VALUES) {
    throw new DataError(
      `${what}: ${sizes} are ${values.toLocaleString('en-US')} values, more than the ${MAX_ARRAY_VALUES.toLocaleString('en-US')} one array holds; use fewer images (--limit) or a smaller input`,
    );
  }
  try {
    return new Float32Array(values);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new DataError(
      `${what}: ${sizes} need ${(values / 2 ** 30).toFixed(2)} GiB, which this machine cannot give (${e.message}); use fewer images (--limit) or a smaller input`,
    );
  }
}

/**
 * Why training on `ds` cannot teach a classifier anything, or null: with one class (an image
 * folder with one class folder) or with every label the same, the loss is lowest when the model
 * answers that class whatever it sees, so it learns nothing of the images, and its accuracy says
 * nothing either.
 */
export function singleClassProblem(ds: Dataset): string | null {
  if (ds.count === 0) return null;
  const first = ds.labels[0];
  for (let i = 1; i < ds.count; i++) if (ds.labels[i] !== first) return null;
  const name = ds.classNames?.[first] ?? String(first);
  const where = ds.source ?? ds.name;
  const what =
    ds.numClasses === 1
      ? ds.classNames
        ? `${where} has one class folder (${JSON.stringify(name)})`
        : `${where} has one class`
      : `every one of the ${ds.count.toLocaleString('en-US')} training images of ${where} is class ${JSON.stringify(name)}`;
  return (
    `${what}: the model can only learn to answer ${JSON.stringify(name)} for every image, which costs it no loss and teaches it nothing about the images` +
    (ds.numClasses === 1 && ds.classNames
      ? '; add a sub-folder of images for each other class'
      : '')
  );
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, random: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = imageArray(indices.length, ds.shape, name);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(ds.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = ds.labels[k];
  }
  return { ...ds, name, images, labels, count: indices.length };
}

/** The first n samples (no copy). */
export function take(ds: Dataset, n: number): Dataset {
  if (n >= ds.count) return ds;
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  return {
    ...ds,
    images: ds.images.subarray(0, n * per),
    labels: ds.labels.subarray(0, n),
    count: n,
  };
}

/**
 * Holds out `fraction` of the samples for validation: a seeded shuffle, then the last
 * round(fraction·N) samples of it are the validation set.
 */
export function splitValidation(
  ds: Dataset,
  fraction: number,
  seed: number,
): { train: Dataset; validation: Dataset | null } {
  const nVal = Math.round(ds.count * fraction);
  if (fraction <= 0 || nVal === 0) return { train: ds, validation: null };
  if (nVal >= ds.count)
    throw new DataError(`validation split ${fraction} leaves no training samples of ${ds.count}`);
  const p = permutation(ds.count, rng(seed ^ 0x5eed));
  return {
    train: subset(ds, p.subarray(0, ds.count - nVal), ds.name),
    validation: subset(ds, p.subarray(ds.count - nVal), `${ds.name} (validation)`),
  };
}

export interface Batch {
  /** n·H·W·C floats. */
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

/**
 * Batches of `order` (default: the dataset order); the last batch may be smaller. The buffers are
 * reused between batches of the same size: copy them if you keep them.
 */
export function* batches(ds: Dataset, size: number, order?: Int32Array): Generator<Batch> {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  let x = new Float32Array(size * per);
  let y = new Int32Array(size);
  for (let start = 0; start < ds.count; start += size) {
    const n = Math.min(size, ds.count - start);
    if (n !== x.length / per) {
      x = new Float32Array(n * per);
      y = new Int32Array(n);
    }
    for (let i = 0; i < n; i++) {
      const k = order ? order[start + i] : start + i;
      x.set(ds.images.subarray(k * per, (k + 1) * per), i * per);
      y[i] = ds.labels[k];
    }
    yield { x, y, n };
  }
}

/**
 * Fits images to a model input [H, W, C]: the channel count must match; an image no larger than the
 * input is zero-padded around the centre (MNIST 28x28 → 32x32 puts 2 pixels on every side), a larger
 * one is resized bilinearly.
 */
export function fitToInput(ds: Dataset, input: readonly number[]): Dataset {
  const [h, w, c] = ds.shape;
  const name = ds.source ? `${ds.name} (${ds.source})` : ds.name;
  if (input.length !== 3) {
    throw new DataError(
      `${name} holds ${h}x${w}x${c} images but the model input is ${input.join('x')}: expected an HxWxC image input`,
    );
  }
  const [H, W, C] = input;
  if (c !== C) {
    throw new DataError(
      `${name} holds ${h}x${w}x${c} images (${c} channel${c === 1 ? '' : 's'}) but the model input is ${H}x${W}x${C} (${C} channel${C === 1 ? '' : 's'})`,
    );
  }
  if (h === H && w === W) return ds;
  const out = imageArray(ds.count, [H, W, C], `${name} fitted to the model input`);
  const per = h * w * c;
  const PER = H * W * C;
  if (h <= H && w <= W) {
    const top = Math.floor((H - h) / 2);
    const left = Math.floor((W - w) / 2);
    for (let n = 0; n < ds.count; n++) {
      for (let y = 0; y < h; y++) {
        const src = n * per + y * w * c;
        out.set(ds.images.subarray(src, src + w * c), n * PER + ((y + top) * W + left) * C);
      }
    }
  } else {
    for (let n = 0; n < ds.count; n++)
      resizeBilinear(ds.images, n * per, h, w, c, out, n * PER, H, W);
  }
  return { ...ds, images: out, shape: [H, W, C] };
}

function resizeBilinear(
  src: Float32Array,
  so: number,
  h: number,
  w: number,
  c: number,
  dst: Float32Array,
  d0: number,
  H: number,
  W: number,
): void {
  for (let y = 0; y < H; y++) {
    const fy = Math.max(0, Math.min(h - 1, ((y + 0.5) * h) / H - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.max(0, Math.min(w - 1, ((x + 0.5) * w) / W - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[so + (y0 * w + x0) * c + k];
        const b = src[so + (y0 * w + x1) * c + k];
        const d = src[so + (y1 * w + x0) * c + k];
        const e = src[so + (y1 * w + x1) * c + k];
        dst[d0 + (y * W + x) * c + k] =
          (a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty;
      }
    }
  }
}
