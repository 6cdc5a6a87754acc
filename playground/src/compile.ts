/**
 * The compiler in the page: the editor's text is the file `/model.cnn` of a small in-memory file
 * system that also holds the standard library and the examples (so `import resnet` works), compiled
 * by the same compileFile as `cnnc check`, and read through the language server's Analysis (hover,
 * inlay shapes, semantic tokens).
 */
import { FILES } from 'cnnc-playground-files';
import { Analysis } from '../../compiler/lsp/analysis.js';
import { compileFile, type Host } from '../../compiler/program.js';

export const ENTRY = '/model.cnn';
const URI = 'playground:model.cnn';

export const SAMPLES: readonly string[] = Object.keys(FILES);

export function sampleText(name: string): string | undefined {
  return FILES[name];
}

function hostWith(text: string): Host {
  const read = (p: string) => (p === ENTRY ? text : FILES[p.slice(1)]);
  return {
    readFile: read,
    inspect(p) {
      const t = read(p);
      if (t !== undefined)
        return { canonical: p, kind: 'file', size: new TextEncoder().encode(t).length };
      const dir = p.endsWith('/') ? p : `${p}/`;
      return Object.keys(FILES).some((f) => `/${f}`.startsWith(dir))
        ? { canonical: p, kind: 'directory' }
        : undefined;
    },
    projectRoot: () => '/',
    stdlibDir: '/stdlib',
    stdlibModules: () =>
      Object.keys(FILES)
        .filter((f) => f.startsWith('stdlib/'))
        .map((f) => f.slice('stdlib/'.length, -'.cnn'.length)),
    displayPath: (p) => p.replace(/^\/+/, ''),
  };
}

let version = 0;

export function analyse(text: string): Analysis {
  const host = hostWith(text);
  const result = compileFile(ENTRY, host);
  return new Analysis(URI, ENTRY, 'model.cnn', ++version, text, result, () =>
    compileFile(ENTRY, host, { explain: true }),
  );
}
