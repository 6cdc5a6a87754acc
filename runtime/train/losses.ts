/** The losses live in the train-settings schema (compiler/train/losses.ts). */
export { LOSSES, type LossKind } from '../../compiler/train/losses.js';
