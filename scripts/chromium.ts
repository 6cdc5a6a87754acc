/**
 * Headless Chromium for the HTML diagram's browser test and the documentation screenshots: Debian's
 * `chromium` (apt-get install chromium) driven by playwright-core, which cannot download browsers
 * here. A fresh profile each launch (playwright's default), no sandbox (CI runs as root), and no
 * background traffic.
 */
import * as fs from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
];

/** Why the browser cannot run here, or null when it can. */
export async function chromiumMissing(): Promise<string | null> {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci)';
  }
  return null;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
