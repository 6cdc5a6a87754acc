/**
 * The playground in a real browser (Debian's chromium through playwright-core, headless): the page
 * is built (scripts/playground-build.ts) and served on localhost; the test types LeNet-5 and checks
 * the shapes at the ends of the lines and the summary, breaks a kernel size and checks the
 * diagnostic and where it is, trains on MNIST in the worker for a few hundred steps (the loss falls,
 * test accuracy well above chance), stops, downloads the checkpoint and loads it with
 * `cnnc evaluate`. The page may request only its own origin and log no error. With
 * CNNC_PLAYGROUND_SCREENSHOTS=1 (npm run playground-screenshots) it writes docs/playground/*.png.
 * Skipped where chromium is missing, unless CNNC_REQUIRE_BROWSER=1.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../../scripts/chromium.js';
import { buildPlayground, ROOT } from '../../scripts/playground-build.js';
import { servePlayground } from '../../scripts/playground-serve.js';
import { runCnnc } from '../helpers/cli.js';

const missing = await chromiumMissing();
const required = process.env.CNNC_REQUIRE_BROWSER === '1';
const screenshots = process.env.CNNC_PLAYGROUND_SCREENSHOTS === '1';

const LENET = `model LeNet5 {
  input 32x32x1
  conv 6 5x5, tanh
  avgpool 2x2 /2
  conv 16 5x5, tanh
  avgpool 2x2 /2
  flatten
  dense 120, tanh
  dense 84, tanh
  dense 10, softmax
  train {
    optimizer sgd lr 0.05 momentum 0.9
    batch 32
    seed 1
  }
}
`;

/** The files of a zip of stored entries (what the page writes). */
function unzip(bytes: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (bytes.readUInt32LE(at) === 0x04034b50) {
    const size = bytes.readUInt32LE(at + 18);
    const nameLength = bytes.readUInt16LE(at + 26);
    const extra = bytes.readUInt16LE(at + 28);
    const name = bytes.toString('utf8', at + 30, at + 30 + nameLength);
    const start = at + 30 + nameLength + extra;
    files.set(name, bytes.subarray(start, start + size));
    at = start + size;
  }
  return files;
}

describe.runIf(!missing || required)('the playground in chromium', () => {
  let browser: Browser;
  let base: string;
  let close: () => void;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-playground-'));

  beforeAll(async () => {
    expect(missing, 'the browser test is required here (CNNC_REQUIRE_BROWSER=1)').toBeNull();
    const built = await buildPlayground();
    const server = await servePlayground(built.out, 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    close = () => server.close();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const shot = async (page: Page, name: string) => {
    if (!screenshots) return;
    fs.mkdirSync(path.join(ROOT, 'docs/playground'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'docs/playground', name) });
  };

  it('checks, explains and trains a LeNet-5 typed into the page', async () => {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
    });
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]');

    // Type the model into the editor.
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(LENET);
    await expect.poll(() => page.locator('.cm-shape').allTextContents()).toEqual([
      '32x32x1', '28x28x6', '14x14x6', '10x10x16', '5x5x16', '400', '120', '84', '10',
    ]); // prettier-ignore
    expect(await page.textContent('#summary')).toContain('61,706');
    // one box per IR node: activations are nodes of their own
    expect(await page.locator('#diagram svg g.box.layer').count()).toBe(14);
    await shot(page, 'editor.png');

    // A kernel larger than its input: one error, on that statement.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(LENET.replace('conv 16 5x5', 'conv 16 15x15'));
    await expect.poll(() => page.getAttribute('#status', 'data-errors')).toBe('1');
    const marked = page.locator('.cm-lintRange-error');
    await expect.poll(() => marked.count()).toBeGreaterThan(0);
    const lines = await page.locator('.cm-line').allTextContents();
    const errorLine = await marked.first().evaluate((el) => {
      const l = el.closest('.cm-line')!;
      return [...l.parentElement!.children].indexOf(l);
    });
    expect(lines[errorLine]).toContain('conv 16 15x15');
    expect(errorLine).toBe(4);
    await marked.first().hover();
    const tip = page.locator('.cm-tooltip-lint');
    await expect.poll(() => tip.textContent()).toMatch(/CNN3\d{3}: .*15/);
    await shot(page, 'diagnostic.png');

    // Put it back and train.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(LENET);
    await expect.poll(() => page.getAttribute('#status', 'data-errors')).toBe('0');
    await page.click('#train');
    const test = page.locator('#test-accuracy');
    await expect
      .poll(async () => Number(await test.getAttribute('data-step')), {
        timeout: 90_000,
        interval: 500,
      })
      .toBeGreaterThanOrEqual(300);
    await page.click('#stop');
    await expect.poll(() => page.textContent('#train')).toBe('Resume');
    expect(await page.getAttribute('#backend', 'data-backend')).toMatch(/^(webgl|wasm)$/);
    const log = await page.evaluate(
      () =>
        (
          globalThis as unknown as {
            cnncPlayground: { progress: { loss: number; accuracy: number }[] };
          }
        ).cnncPlayground.progress,
    );
    const first = log[0];
    const last = log[log.length - 1];
    expect(last.loss).toBeLessThan(first.loss * 0.6);
    expect(Number(await test.getAttribute('data-accuracy'))).toBeGreaterThan(0.5); // chance: 0.1
    expect(await page.locator('#digits canvas').count()).toBe(10);
    await shot(page, 'training.png');

    // The checkpoint loads in cnnc evaluate.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const zipFile = path.join(dir, 'ck.zip');
    await download.saveAs(zipFile);
    const files = unzip(fs.readFileSync(zipFile));
    expect([...files.keys()].sort()).toEqual(
      ['cnnc.json', 'model.json', 'optimizer.bin', 'weights.bin'].map(
        (f) => `LeNet5-checkpoint/${f}`,
      ),
    );
    const ck = path.join(dir, 'LeNet5-checkpoint');
    fs.mkdirSync(ck);
    for (const [name, data] of files) fs.writeFileSync(path.join(dir, name), data);
    fs.writeFileSync(path.join(dir, 'lenet.cnn'), LENET);
    const r = await runCnnc([
      'evaluate',
      path.join(dir, 'lenet.cnn'),
      '--weights',
      ck,
      '--json',
      '--limit',
      '2000',
    ]);
    expect(r.err).not.toMatch(/warning/);
    expect(r.code, r.err).toBe(0);
    const accuracy = (JSON.parse(r.out) as { test: { accuracy: number } }).test.accuracy;
    expect(accuracy).toBeGreaterThan(0.5);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});

if (missing && !required) {
  describe('the playground in chromium', () => {
    it.skip(`skipped: ${missing}`, () => {});
  });
}
