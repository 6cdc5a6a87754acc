/**
 * The real `cnnc` process when its reader goes away early (`cnnc compile … | head -1`): it stops
 * quietly with status 0, like other Unix tools, instead of dying on EPIPE with a stack trace.
 * Runs dist/ (built by `npm test` before vitest).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/compiler/cli/main.js');

describe('cnnc writing into a closed pipe', () => {
  it('exits 0 without a stack trace when stdout closes after the first chunk', async () => {
    // ResNet-152's IR is ~580 KB: the reader takes the first chunk and leaves the rest unread.
    const args = [CLI, 'compile', 'stdlib/resnet.cnn', '--emit', 'ir', '--model', 'ResNet152'];
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    );
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(first).toMatch(/^\{/);
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(0);
  });
});
