/**
 * The screenshots of the HTML diagram in docs/editors.md, taken in headless Chromium (Debian's
 * `chromium` through playwright-core, scripts/chromium.ts):
 *
 *   npm run diagram-screenshots        (builds, then writes docs/images/diagram-*.png)
 *
 * Each picture is `cnnc diagram … -o page.html` opened from a file:// URL, after the clicks and the
 * hover it describes. The PNGs are committed; rerun this after changing how diagrams look.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { main, processIo } from '../compiler/cli/main.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'docs', 'images');

interface Shot {
  readonly png: string;
  readonly args: readonly string[];
  /** Selectors to click, in order, then one to hover. */
  readonly clicks: readonly string[];
  readonly hover: string;
  readonly viewport: { readonly width: number; readonly height: number };
}

const SHOTS: readonly Shot[] = [
  {
    // The Inception module with its second module collapsed, a branch layer's details shown.
    png: 'diagram-inception.png',
    args: ['examples/inception-module.cnn'],
    clicks: ['g.cluster[data-scope="inc3b"] > text'],
    hover: 'g.box.layer[data-layer="inc3a.branch2.conv2"]',
    viewport: { width: 1000, height: 1250 },
  },
  {
    // ResNet-152 as it opens (stages collapsed) with stage4 expanded to its three blocks.
    png: 'diagram-resnet152.png',
    args: ['stdlib/resnet.cnn', '--model', 'ResNet152'],
    clicks: ['g.box.scope[data-scope="stage4"]'],
    hover: 'g.box.scope[data-scope="stage3"]',
    viewport: { width: 1000, height: 1000 },
  },
];

async function run(): Promise<number> {
  const missing = await chromiumMissing();
  if (missing) {
    process.stderr.write(`diagram-screenshots: ${missing}\n`);
    return 1;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-shots-'));
  const browser = await launchChromium();
  try {
    for (const shot of SHOTS) {
      const html = path.join(tmp, `${shot.png}.html`);
      const io = { ...processIo(), cwd: ROOT };
      if (main(['diagram', ...shot.args, '-o', html], io) !== 0) return 1;
      const page = await browser.newPage({ viewport: shot.viewport });
      await page.goto(pathToFileURL(html).href);
      for (const selector of shot.clicks) await page.click(selector);
      await page.hover(shot.hover);
      const png = await page.screenshot();
      await page.close();
      const file = path.join(OUT, shot.png);
      fs.mkdirSync(OUT, { recursive: true });
      await sharp(png).png({ palette: true, compressionLevel: 9 }).toFile(file);
      process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
    }
  } finally {
    await browser.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return 0;
}

process.exitCode = await run();
