/**
 * augment.ts of an emitted TensorFlow.js project: cnnc's augmentation of training batches
 * (runtime/data/augment.ts's rules), written out for the project.
 */
export const AUGMENT_TS = String.raw`/**
 * Data augmentation of training batches, as cnnc train does it (the train block's flip, rotation,
 * zoom, translate, brightness, contrast, channel_shift and fill): random flips, rotation, zoom
 * (scale) and translation as one affine map about the image centre per image, sampled bilinearly,
 * then colour jitter, clamped to [0, 1]. train.ts draws the random numbers from cnnc's seeded
 * stream, so a run augments as cnnc train's does. Validation and test batches are never augmented.
 */
export interface AugmentConfig {
  /** Mirror left–right with probability ½. */
  readonly flipHorizontal: boolean;
  /** Mirror top–bottom with probability ½. */
  readonly flipVertical: boolean;
  /** Rotate by an angle uniform in [−rotation, rotation] degrees. */
  readonly rotation: number;
  /** Scale uniform in [zoom[0], zoom[1]]: above 1 magnifies (a crop), below 1 shrinks. */
  readonly zoom: readonly [number, number];
  /** Shift by up to ±translate of the width (and, independently, of the height), uniform. */
  readonly translate: number;
  /** Multiply every value by a factor uniform in [1 − brightness, 1 + brightness]. */
  readonly brightness: number;
  /** Scale the distance from the image mean by a factor uniform in [1 − contrast, 1 + contrast]. */
  readonly contrast: number;
  /** Add to each channel an offset uniform in [−channelShift, channelShift] (RGB intensity). */
  readonly channelShift: number;
  /** Pixels that come from outside the image: 'edge' repeats the border, 'zero' is black. */
  readonly fill: 'edge' | 'zero';
}

function geometric(c: AugmentConfig): boolean {
  return (
    c.flipHorizontal ||
    c.flipVertical ||
    c.rotation !== 0 ||
    c.zoom[0] !== 1 ||
    c.zoom[1] !== 1 ||
    c.translate !== 0
  );
}

function colour(c: AugmentConfig): boolean {
  return c.brightness !== 0 || c.contrast !== 0 || c.channelShift !== 0;
}

/**
 * Augments the first 'n' images of the NHWC batch 'x' IN PLACE and returns 'x'. Give it a copy (the
 * buffers that 'batches' yields are copies of the dataset, so the dataset itself stays untouched).
 * Random numbers are drawn per image in a fixed order, only for the transforms that are on, so a
 * seeded 'random' reproduces the same batch.
 */
export function augmentBatch(
  x: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  config: AugmentConfig,
  random: () => number,
): Float32Array {
  const [H, W, C] = shape;
  const per = H * W * C;
  if (x.length < n * per)
    throw new Error('augmentBatch: ' + x.length + ' values cannot hold ' + n + ' images of ' + shape.join('x'));
  const geo = geometric(config);
  const col = colour(config);
  if (!geo && !col) return x;
  const scratch = new Float32Array(per);
  const uniform = (a: number, b: number) => a + (b - a) * random();
  for (let i = 0; i < n; i++) {
    const img = x.subarray(i * per, (i + 1) * per);
    if (geo) {
      const flipX = config.flipHorizontal && random() < 0.5;
      const flipY = config.flipVertical && random() < 0.5;
      const angle = config.rotation
        ? (uniform(-config.rotation, config.rotation) * Math.PI) / 180
        : 0;
      const scale =
        config.zoom[0] !== 1 || config.zoom[1] !== 1 ? uniform(config.zoom[0], config.zoom[1]) : 1;
      const tx = config.translate ? uniform(-config.translate, config.translate) * W : 0;
      const ty = config.translate ? uniform(-config.translate, config.translate) * H : 0;
      scratch.set(img);
      warp(scratch, img, H, W, C, { flipX, flipY, angle, scale, tx, ty }, config.fill);
    }
    if (col) jitter(img, C, config, uniform);
  }
  return x;
}

interface Affine {
  readonly flipX: boolean;
  readonly flipY: boolean;
  /** Radians. */
  readonly angle: number;
  readonly scale: number;
  /** Pixels. */
  readonly tx: number;
  readonly ty: number;
}

/**
 * dst = the image src flipped, scaled, rotated about its centre and shifted, in that order. Each
 * output pixel centre is mapped back into src (the inverse transform) and sampled bilinearly.
 */
function warp(
  src: Float32Array,
  dst: Float32Array,
  H: number,
  W: number,
  C: number,
  t: Affine,
  fill: 'edge' | 'zero',
): void {
  if (t.angle === 0 && t.scale === 1 && t.tx === 0 && t.ty === 0) {
    flipOnly(src, dst, H, W, C, t.flipX, t.flipY);
    return;
  }
  const cos = Math.cos(t.angle) / t.scale;
  const sin = Math.sin(t.angle) / t.scale;
  // Source coordinates are affine in (x, y): sx = ax·x + bx·y + cx0, sy = ay·x + by·y + cy0.
  const fx = t.flipX ? -1 : 1;
  const fy = t.flipY ? -1 : 1;
  const ax = fx * cos;
  const bx = fx * sin;
  const ay = -fy * sin;
  const by = fy * cos;
  const px0 = 0.5 - W / 2 - t.tx;
  const py0 = 0.5 - H / 2 - t.ty;
  const cx0 = ax * px0 + bx * py0 + W / 2 - 0.5;
  const cy0 = ay * px0 + by * py0 + H / 2 - 0.5;
  const edge = fill === 'edge';
  let o = 0;
  for (let y = 0; y < H; y++) {
    let sx = bx * y + cx0;
    let sy = by * y + cy0;
    for (let x = 0; x < W; x++, sx += ax, sy += ay, o += C) {
      let u = sx;
      let v = sy;
      if (edge) {
        u = u < 0 ? 0 : u > W - 1 ? W - 1 : u;
        v = v < 0 ? 0 : v > H - 1 ? H - 1 : v;
      } else if (u <= -1 || v <= -1 || u >= W || v >= H) {
        for (let k = 0; k < C; k++) dst[o + k] = 0;
        continue;
      }
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const wx = u - x0;
      const wy = v - y0;
      // Corners outside the image (zero fill, or weight 0 at the last row/column) count as 0.
      const okx0 = x0 >= 0;
      const okx1 = x0 + 1 < W && wx !== 0;
      const oky0 = y0 >= 0;
      const oky1 = y0 + 1 < H && wy !== 0;
      const w00 = okx0 && oky0 ? (1 - wx) * (1 - wy) : 0;
      const w01 = okx1 && oky0 ? wx * (1 - wy) : 0;
      const w10 = okx0 && oky1 ? (1 - wx) * wy : 0;
      const w11 = okx1 && oky1 ? wx * wy : 0;
      const i00 = (y0 * W + x0) * C;
      const i10 = i00 + W * C;
      for (let k = 0; k < C; k++) {
        let acc = 0;
        if (w00 !== 0) acc += w00 * src[i00 + k];
        if (w01 !== 0) acc += w01 * src[i00 + C + k];
        if (w10 !== 0) acc += w10 * src[i10 + k];
        if (w11 !== 0) acc += w11 * src[i10 + C + k];
        dst[o + k] = acc;
      }
    }
  }
}

/** Flips alone move whole pixels: a copy, no resampling. */
function flipOnly(
  src: Float32Array,
  dst: Float32Array,
  H: number,
  W: number,
  C: number,
  flipX: boolean,
  flipY: boolean,
): void {
  if (!flipX && !flipY) return;
  const row = W * C;
  for (let y = 0; y < H; y++) {
    const s = (flipY ? H - 1 - y : y) * row;
    const d = y * row;
    if (!flipX) {
      dst.set(src.subarray(s, s + row), d);
      continue;
    }
    for (let x = 0; x < W; x++) {
      const so = s + (W - 1 - x) * C;
      for (let k = 0; k < C; k++) dst[d + x * C + k] = src[so + k];
    }
  }
}

/** Brightness, contrast, then channel shift on one HWC image; the result is clamped to [0, 1]. */
function jitter(
  img: Float32Array,
  C: number,
  config: AugmentConfig,
  uniform: (a: number, b: number) => number,
): void {
  const b = config.brightness ? uniform(1 - config.brightness, 1 + config.brightness) : 1;
  const c = config.contrast ? uniform(1 - config.contrast, 1 + config.contrast) : 1;
  const shift = new Float64Array(C);
  if (config.channelShift)
    for (let k = 0; k < C; k++) shift[k] = uniform(-config.channelShift, config.channelShift);
  let mean = 0;
  if (c !== 1) {
    for (let i = 0; i < img.length; i++) mean += img[i];
    mean = (mean / img.length) * b;
  }
  for (let i = 0; i < img.length; i++) {
    const v = mean + c * (img[i] * b - mean) + shift[i % C];
    img[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}
`;
