export { mdCode, mdText } from './markdown-escape.js';
export { matchLayers, type LayerMatch } from './match.js';
export { attrText, diffModel, type CommandLineBudgets, type ModelVersion } from './model-diff.js';
export { LAYER_ROWS, renderMarkdown } from './render-markdown.js';
export { renderPretty } from './render-pretty.js';
export {
  diffFile,
  diffReport,
  hasSemanticChange,
  stopsDiff,
  type DiffOptions,
  type FileVersion,
} from './report.js';
export type * from './types.js';
