import { describe, expect, it } from 'vitest';
import { INTERRUPT_BUDGET, tierUpEarly, tierUpFlag } from '../../../runtime/tfjs/tier-up.js';

describe('tier-up budget of data-parallel training', () => {
  it('lowers V8 interrupt budget unless told not to', () => {
    expect(tierUpFlag([], {})).toBe(`--interrupt-budget=${INTERRUPT_BUDGET}`);
    expect(INTERRUPT_BUDGET).toBeLessThan(67584); // V8 11.3's default
    expect(tierUpFlag([], { CNNC_DEFAULT_TIER_UP: '1' })).toBeNull();
  });

  it("leaves a budget given on node's command line alone", () => {
    expect(tierUpFlag(['--interrupt-budget=1000'], {})).toBeNull();
    expect(tierUpFlag(['--interrupt_budget', '1000'], {})).toBeNull();
    expect(tierUpFlag(['--interrupt-budget-for-feedback-allocation=9'], {})).not.toBeNull();
  });

  it('sets the flag once per process, and survives a V8 that refuses it', () => {
    const given: string[] = [];
    const refuse = () => {
      throw new Error('unknown flag');
    };
    const saved = process.env['CNNC_DEFAULT_TIER_UP'];
    delete process.env['CNNC_DEFAULT_TIER_UP'];
    try {
      const interrupted = process.execArgv.some((a) => a.startsWith('--interrupt'));
      expect(tierUpEarly(refuse)).toBe(false);
      expect(tierUpEarly((f) => given.push(f))).toBe(!interrupted);
      expect(tierUpEarly((f) => given.push(f))).toBe(!interrupted);
      expect(given).toEqual(interrupted ? [] : [`--interrupt-budget=${INTERRUPT_BUDGET}`]);
    } finally {
      if (saved !== undefined) process.env['CNNC_DEFAULT_TIER_UP'] = saved;
    }
  });
});
