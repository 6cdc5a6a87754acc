/** Every example compiles without errors, its IR verifies after every pass, and it stays cheap. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { nodeHost } from '../compiler/cli/host.js';
import { compileFile } from '../compiler/program.js';
import { REPO } from './helpers/memory-host.js';

const examples = fs
  .readdirSync(path.join(REPO, 'examples'))
  .filter((f) => f.endsWith('.cnn'))
  .sort();

it.each(examples)('examples/%s compiles without errors', (file) => {
  const r = compileFile(path.join(REPO, 'examples', file), nodeHost(REPO), { verifyEach: true });
  expect(
    r.diagnostics.filter((d) => d.severity !== 'note').map((d) => `${d.code} ${d.message}`),
  ).toEqual([]);
  expect(r.models.length).toBeGreaterThan(0);
  for (const m of r.models) {
    expect(m.summary).not.toBeNull();
    expect(m.graph.nodes.every((n) => n.shape !== null)).toBe(true);
  }
});
