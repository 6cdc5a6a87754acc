import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BASELINES_DIR,
  baselinePath,
  checkBaseline,
  normalizeBaseline,
  shouldUpdateBaselines,
} from './baseline.js';

describe('normalizeBaseline', () => {
  it.each([
    ['', ''],
    ['a', 'a\n'],
    ['a\n', 'a\n'],
    ['a\r\nb\r\n', 'a\nb\n'],
    ['a\rb', 'a\nb\n'],
    ['a\n\n', 'a\n\n'],
  ])('%j → %j', (text, expected) => {
    expect(normalizeBaseline(text)).toBe(expected);
  });
});

describe('shouldUpdateBaselines', () => {
  it.each([
    [{}, false],
    [{ UPDATE_BASELINES: '1' }, true],
    [{ UPDATE_BASELINES: 'true' }, true],
    [{ UPDATE_BASELINES: '0' }, false],
    [{ UPDATE_BASELINES: '' }, false],
  ])('%j → %s', (env, expected) => {
    expect(shouldUpdateBaselines(env)).toBe(expected);
  });
});

describe('baselinePath', () => {
  it('resolves inside test/baselines', () => {
    expect(baselinePath('diagnostics/short.txt')).toBe(
      join(BASELINES_DIR, 'diagnostics/short.txt'),
    );
  });

  it.each(['../escape.txt', 'a/../../escape.txt', '/etc/passwd', '', '.'])('refuses %j', (p) => {
    expect(() => baselinePath(p)).toThrow(/inside test\/baselines/);
  });
});

describe('checkBaseline', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cnnc-baseline-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('fails on a missing baseline and says how to create it', () => {
    expect(() => checkBaseline('x/new.txt', 'text', { root, update: false })).toThrow(
      /missing baseline test\/baselines\/x\/new\.txt; run the tests with UPDATE_BASELINES=1/,
    );
  });

  it('writes the baseline in update mode, then matches it', () => {
    checkBaseline('x/new.txt', 'one\r\ntwo', { root, update: true });
    expect(readFileSync(join(root, 'x/new.txt'), 'utf8')).toBe('one\ntwo\n');
    checkBaseline('x/new.txt', 'one\ntwo\n', { root, update: false });
  });

  it('accepts a CRLF baseline for LF output', () => {
    writeFileSync(join(root, 'crlf.txt'), 'a\r\nb\r\n');
    checkBaseline('crlf.txt', 'a\nb\n', { root, update: false });
  });

  it('fails on a difference and names the file', () => {
    writeFileSync(join(root, 'old.txt'), 'old\n');
    expect(() => checkBaseline('old.txt', 'new', { root, update: false })).toThrow(
      /differs from test\/baselines\/old\.txt.*UPDATE_BASELINES=1/,
    );
  });
});
