/** Importing models from other frameworks: Keras / TensorFlow.js layers models. */
export { importKeras, type ImportOptions, type KerasImport, type WeightLink } from './keras.js';
export { SUPPORTED_CLASSES } from './keras-layers.js';
export { LiteralError, parseLiteral, parseLiteralAt, toPlain, type Literal } from './literal.js';
