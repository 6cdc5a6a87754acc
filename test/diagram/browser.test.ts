/**
 * The HTML diagram in a real browser (Debian's chromium through playwright-core): a click on a
 * scope collapses it and the page lays itself out again at the size the engine computes here; a
 * click on the collapsed box expands it; hovering shows a layer's details; the page makes no
 * request beyond its own file and logs no error. Skipped with its reason where chromium or
 * playwright-core is missing, unless CNNC_REQUIRE_BROWSER=1 (set by .ci/run once chromium is in).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../../compiler/diagram/render.js';
import { chromiumMissing, launchChromium } from '../../scripts/chromium.js';
import { cli } from '../cli/run-cli.js';
import { diagramModelOf } from './models.js';

const missing = await chromiumMissing();
const required = process.env.CNNC_REQUIRE_BROWSER === '1';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-browser-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the page with `cnnc diagram` and opens it, recording requests and errors. */
async function open(browser: Browser, args: readonly string[], name: string) {
  const file = path.join(dir, name);
  expect(cli(['diagram', ...args, '-o', file]).code).toBe(0);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors, url: pathToFileURL(file).href };
}

const count = (page: Page, selector: string) => page.locator(selector).count();
const size = async (page: Page) =>
  page.locator('#cnnc-canvas > svg').evaluate((svg) => ({
    width: Number(svg.getAttribute('width')),
    height: Number(svg.getAttribute('height')),
  }));
const rounded = (n: number) => Math.round(n * 10) / 10;

describe.runIf(!missing || required)('the HTML diagram in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    expect(missing, 'the browser test is required here (CNNC_REQUIRE_BROWSER=1)').toBeNull();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('collapses and expands a scope on click, laying the page out again', async () => {
    const { page, requests, errors, url } = await open(
      browser,
      ['examples/inception-module.cnn'],
      'inception.html',
    );
    const model = diagramModelOf('examples/inception-module.cnn');
    const full = engine.layout(model, []);
    const shut = engine.layout(model, ['inc3a']);

    expect(await count(page, 'g.box.layer')).toBe(35);
    expect(await count(page, 'g.cluster')).toBe(10);
    expect(await size(page)).toEqual({ width: rounded(full.width), height: rounded(full.height) });

    await page.click('g.cluster[data-scope="inc3a"] > text');
    expect(await count(page, 'g.box.layer')).toBe(35 - 14);
    expect(await count(page, 'g.box.scope[data-scope="inc3a"]')).toBe(1);
    expect(await count(page, 'g.cluster[data-scope^="inc3a"]')).toBe(0);
    expect(await size(page)).toEqual({ width: rounded(shut.width), height: rounded(shut.height) });
    expect(shut.height).toBeLessThan(full.height);

    await page.click('g.box.scope[data-scope="inc3a"]');
    expect(await count(page, 'g.box.layer')).toBe(35);
    expect(await count(page, 'g.box.scope')).toBe(0);
    expect(await size(page)).toEqual({ width: rounded(full.width), height: rounded(full.height) });

    await page.click('#cnnc-collapse-all');
    expect(await count(page, 'g.box.scope')).toBe(2);
    await page.click('#cnnc-expand-all');
    expect(await count(page, 'g.box.layer')).toBe(35);

    await page.hover('g.box.layer[data-layer="inc3a.branch2.conv2"]');
    const details = page.locator('#cnnc-details');
    await expect.poll(() => details.isVisible()).toBe(true);
    const text = await details.textContent();
    expect(text).toContain('params 110,720');
    expect(text).toContain('MACs 113,246,208');
    expect(text).toContain('receptive field 5x5, stride 1x1');

    const png = await page.screenshot({ fullPage: true });
    const stats = await sharp(png).stats();
    expect(stats.channels[0].min).toBeLessThan(100); // dark text drawn on the light page
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('ResNet-152 opens at its stages; a stage expands to its blocks', async () => {
    const { page, errors } = await open(
      browser,
      ['stdlib/resnet.cnn', '--model', 'ResNet152'],
      'resnet152.html',
    );
    expect(await count(page, 'g.box.scope')).toBe(6);
    const before = await size(page);
    await page.click('g.box.scope[data-scope="stage3"]');
    expect(await count(page, 'g.box.scope[data-scope^="stage3."]')).toBe(36);
    expect((await size(page)).height).toBeGreaterThan(before.height);
    expect(errors).toEqual([]);
    await page.close();
  });
});

if (missing && !required) {
  describe('the HTML diagram in chromium', () => {
    it.skip(`skipped: ${missing}`, () => {});
  });
}
