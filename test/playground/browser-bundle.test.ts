/**
 * The compiler runs in the browser unchanged: every module of grammar/ and compiler/ (bar the
 * Node-only entry points below) bundles for `platform: 'browser'` with esbuild, and nothing it
 * reaches imports a Node built-in (`node:fs`, `path`, …). The playground (playground/) is built from
 * these same modules, so a Node import slipped into the compiler fails here before it breaks the page.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { NODE_ONLY } from '../../scripts/playground-build.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function modules(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (NODE_ONLY.some((n) => rel === n || rel.startsWith(`${n}/`))) continue;
    if (e.isDirectory()) out.push(...modules(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const BUILTIN = new Set(builtinModules);

describe('grammar/ and compiler/ in the browser', () => {
  it('bundle for the browser without a Node built-in', async () => {
    const files = [...modules('grammar'), ...modules('compiler')];
    expect(files.length).toBeGreaterThan(100);
    const nodeImports: string[] = [];
    const result = await esbuild.build({
      stdin: {
        contents: files.map((f, i) => `export * as m${i} from './${f}';`).join('\n'),
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      logLevel: 'silent',
      plugins: [
        {
          name: 'node-builtins',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              // A package's own Node imports are esbuild's to judge: it honours the package's
              // `browser` map (protobufjs maps fs to false) and fails the build on the rest.
              if (args.importer.includes('node_modules')) return undefined;
              const bare = args.path.replace(/^node:/, '').split('/')[0];
              if (args.path.startsWith('node:') || BUILTIN.has(bare)) {
                nodeImports.push(`${path.relative(ROOT, args.importer)} imports ${args.path}`);
                return { path: args.path, external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    expect(nodeImports).toEqual([]);
  });
});
