export * from './augment.js';
export * from './data-sources.js';
export * from './init-schemes.js';
export * from './losses.js';
export * from './optimizers.js';
export * from './schedules.js';
export * from './settings.js';
