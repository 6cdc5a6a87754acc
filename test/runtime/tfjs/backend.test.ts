import { describe, expect, it } from 'vitest';
import {
  BackendUnavailable,
  availableBackends,
  initBackend,
} from '../../../runtime/tfjs/backend.js';

describe('tfjs backends', () => {
  it('lists wasm and cpu, which ship with cnnc', async () => {
    const names = await availableBackends();
    expect(names).toContain('wasm');
    expect(names.at(-1)).toBe('cpu');
  });

  it('initialises wasm idempotently, SIMD on, with the missing gradient kernels', async () => {
    const first = await initBackend();
    const again = await initBackend('wasm');
    expect(first.name).toBe('wasm');
    expect(again.tf).toBe(first.tf);
    expect(first.tf.getBackend()).toBe('wasm');
    expect(first.detail).toMatch(/^wasm \(SIMD, \d+ threads?\)$/);
    expect(first.tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('switches between cpu and wasm', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu.tf.getBackend()).toBe('cpu');
    expect(cpu.detail).toBe('cpu (pure JavaScript)');
    const wasm = await initBackend('wasm');
    expect(wasm.tf.getBackend()).toBe('wasm');
  });

  it('explains how to install tfjs-node when the tensorflow backend is missing', async () => {
    if ((await availableBackends()).includes('tensorflow')) return;
    const err: unknown = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailable);
    expect(err instanceof Error && err.message).toMatch(/npm install @tensorflow\/tfjs-node/);
  });
});
