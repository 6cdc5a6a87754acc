/**
 * Data augmentation settings of training batches (the train block's flip, rotation, zoom,
 * translate, brightness, contrast, channel_shift and fill): random flips, rotation, zoom (scale),
 * translation and colour jitter. runtime/data/augment.ts applies them to cnnc's batches; the emitted
 * PyTorch train.py applies the same transforms with the same random draws.
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
  /** Pixels that come from outside the image: `edge` repeats the border, `zero` is black. */
  readonly fill: 'edge' | 'zero';
}

/** The identity: `augmentBatch` with it changes nothing. */
export const NO_AUGMENT: AugmentConfig = {
  flipHorizontal: false,
  flipVertical: false,
  rotation: 0,
  zoom: [1, 1],
  translate: 0,
  brightness: 0,
  contrast: 0,
  channelShift: 0,
  fill: 'edge',
};

/** True when the config moves pixels (flips, rotation, zoom or translation). */
export function geometric(c: AugmentConfig): boolean {
  return (
    c.flipHorizontal ||
    c.flipVertical ||
    c.rotation !== 0 ||
    c.zoom[0] !== 1 ||
    c.zoom[1] !== 1 ||
    c.translate !== 0
  );
}

/** True when the config changes colours (brightness, contrast or channel shift). */
export function colour(c: AugmentConfig): boolean {
  return c.brightness !== 0 || c.contrast !== 0 || c.channelShift !== 0;
}

/** True when the config changes nothing (settings then hold `augment: null`). */
export function isIdentity(c: AugmentConfig): boolean {
  return !geometric(c) && !colour(c);
}
