/**
 * Chevrotain's runtime, loaded from the single-file ESM bundle that ships in its npm package. The
 * package's entry point is a tree of several hundred small ES modules that takes about 400 ms to
 * load on our 2-core machines (most of a cold `cnnc check`); the bundle loads in about 25 ms. Types
 * still come from the package (`import type … from 'chevrotain'`). Every value import of Chevrotain
 * in grammar/ must come from here, so that token types and parsers share one copy.
 *
 * Node's modules are reached through `process.getBuiltinModule` (Node ≥ 20.16), not imported, so
 * that grammar/ also bundles for the browser (the playground), where the package entry is used.
 */
import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  const builtin = globalThis.process?.getBuiltinModule;
  if (typeof builtin === 'function') {
    try {
      const { createRequire } = builtin('node:module') as typeof import('node:module');
      const path = builtin('node:path') as typeof import('node:path');
      const { pathToFileURL } = builtin('node:url') as typeof import('node:url');
      // The package's `exports` map hides lib/chevrotain.mjs, so find it beside the entry point.
      const entry = createRequire(import.meta.url).resolve('chevrotain'); // …/lib/src/api.js
      const bundle = path.join(path.dirname(entry), '..', 'chevrotain.mjs');
      return (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as typeof Chevrotain;
    } catch {
      // fall through to the package entry
    }
  }
  return import('chevrotain');
}

const chevrotain = await load();

export const { CstParser, EOF, Lexer, LLkLookaheadStrategy, createToken, tokenMatcher } =
  chevrotain;
