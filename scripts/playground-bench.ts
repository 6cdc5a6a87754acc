/**
 * The playground's size and start-up: bytes of each bundle and the compiler's share of the page's
 * bundle (from esbuild's metafile: grammar/ and compiler/ inputs), and the time from navigation to
 * the first render (editor, shapes, summary and diagram on screen) in headless chromium, the median
 * of five loads. Target: under 2 s.
 *
 *   node dist/scripts/playground-bench.js     (npm run bench:playground)
 */
import type { AddressInfo } from 'node:net';
import { launchChromium } from './chromium.js';
import { buildPlayground } from './playground-build.js';
import { servePlayground } from './playground-serve.js';

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

const { out, metafile } = await buildPlayground();
for (const [file, o] of Object.entries(metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const shares = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(o.inputs)) {
    const group = /^(grammar|compiler|runtime|playground)\//.exec(input)?.[1] ?? 'packages';
    shares.set(group, (shares.get(group) ?? 0) + bytesInOutput);
  }
  const parts = [...shares]
    .sort((a, b) => b[1] - a[1])
    .map(([g, n]) => `${g} ${kb(n)} (${((100 * n) / o.bytes).toFixed(0)}%)`);
  console.log(`${file.split('/').pop()}: ${kb(o.bytes)} — ${parts.join(', ')}`);
  const compiler = (shares.get('grammar') ?? 0) + (shares.get('compiler') ?? 0);
  if (file.endsWith('main.js'))
    console.log(
      `  the compiler (grammar/ + compiler/): ${kb(compiler)}, ${((100 * compiler) / o.bytes).toFixed(0)}% of the page's bundle`,
    );
}
const server = await servePlayground(out, 0);
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const browser = await launchChromium();
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  times.push(
    await page.evaluate(() => performance.getEntriesByName('cnnc-first-render')[0].startTime),
  );
  await page.close();
}
await browser.close();
server.close();
times.sort((a, b) => a - b);
console.log(
  `first render: ${times[2].toFixed(0)} ms median of 5 (${times.map((t) => t.toFixed(0)).join(', ')}); target < 2000 ms`,
);
