export * from './graph.js';
export * from './ops.js';
export { verify } from './verify.js';
export { yoloHeadsOf, type YoloHead } from './yolo-heads.js';
