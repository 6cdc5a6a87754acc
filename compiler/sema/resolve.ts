/**
 * Loads a .cnn file and its imports into modules with their declarations. The file system is
 * reached only through the Host (the CLI passes one backed by node:fs; tests pass in-memory ones).
 * Import cycles and missing imports are diagnostics.
 *
 * What a source may read (docs/security.md): an import resolves only to a regular `.cnn` file inside
 * the project of the entry file (Host.projectRoot), the standard library, or a folder the caller
 * allows (CompileOptions.importRoots, `--allow-import-outside`), judged on the path with every
 * symbolic link resolved. Anything else is refused before it is read, with a diagnostic that names
 * the path as written. A module's identity is its canonical path, so two links to one file load it
 * once and a cycle through links is a cycle.
 */
import {
  MAX_SOURCE_BYTES,
  parseFile,
  sourceTooLarge,
  type BlockDecl,
  type FileAst,
  type ImportDecl,
  type ModelDecl,
} from '../../grammar/index.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { hostPath as path } from './host-path.js';
import { lookupOp } from './op-table.js';
import { didYouMean } from './suggest.js';

/** What a path names once every symbolic link is followed. */
export interface FileFacts {
  /** The path with every symbolic link resolved (the path itself for a link loop). */
  readonly canonical: string;
  /** `other`: a device, FIFO or socket. `link-loop`: links that never reach a file. */
  readonly kind: 'file' | 'directory' | 'link-loop' | 'other';
  /**
   * A file's size in bytes, when known without reading it: a source over MAX_SOURCE_BYTES is then
   * refused (CNN1007) before it is read.
   */
  readonly size?: number;
}

export interface Host {
  /** The text of a regular file, or undefined when it cannot be read. */
  readFile(absPath: string): string | undefined;
  /** What is at a path, without reading it; undefined when nothing is there. */
  inspect(absPath: string): FileFacts | undefined;
  /**
   * The project of an entry file (its absolute path as given, links not resolved): the nearest
   * folder above it holding a package.json or .git, else the entry's own folder. Imports stay
   * inside it.
   */
  projectRoot(entry: string): string;
  /** Absolute path of the directory holding the standard library (`import resnet`). */
  readonly stdlibDir: string;
  /** Names of the stdlib modules, for did-you-mean. */
  stdlibModules(): readonly string[];
  /** The path shown in diagnostics and summaries for a file (relative, never absolute). */
  displayPath(absPath: string): string;
}

export interface Module {
  /** The canonical path: the module's identity. */
  readonly path: string;
  readonly display: string;
  readonly text: string;
  readonly ast: FileAst;
  readonly imports: Module[];
  /** The import declaration that brought in each of `imports`. */
  readonly importDecls: Map<Module, ImportDecl>;
  readonly models: Map<string, ModelDecl>;
  readonly blocks: Map<string, BlockDecl>;
}

export interface Program {
  readonly entry: Module | undefined;
  readonly modules: ReadonlyMap<string, Module>;
  /** display path → text, for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

/** `file` is `dir` or lies below it (both absolute and normalised). */
function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * @param importRoots folders outside the project whose .cnn files may be imported too (absolute).
 */
export function loadProgram(
  entryPath: string,
  host: Host,
  importRoots: readonly string[] = [],
): { value: Program; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const modules = new Map<string, Module>();
  const sources = new Map<string, string>();
  const loading: string[] = [];

  const load = (canonical: string, from?: ImportDecl): Module | undefined => {
    const existing = modules.get(canonical);
    if (existing) return existing;
    const display = host.displayPath(canonical);
    const bytes = host.inspect(canonical)?.size;
    if (bytes !== undefined && bytes > MAX_SOURCE_BYTES) {
      diagnostics.push(sourceTooLarge(display, bytes, from?.span));
      return undefined;
    }
    const text = host.readFile(canonical);
    if (text === undefined) {
      diagnostics.push(
        diag('CNN2011', `cannot read ${display}`, { help: 'check its permissions' }),
      );
      return undefined;
    }
    const parsed = parseFile(text, display);
    for (const d of parsed.diagnostics) diagnostics.push(d);
    sources.set(display, text);
    const mod: Module = {
      path: canonical,
      display,
      text,
      ast: parsed.value,
      imports: [],
      importDecls: new Map(),
      models: new Map(),
      blocks: new Map(),
    };
    modules.set(canonical, mod);
    collectDecls(mod, diagnostics);
    loading.push(canonical);
    for (const decl of mod.ast.decls) {
      if (decl.kind !== 'Import') continue;
      const target = resolveImport(decl, canonical);
      if (typeof target !== 'string') {
        diagnostics.push(target);
        continue;
      }
      const at = loading.indexOf(target);
      if (at >= 0) {
        const chain = [...loading.slice(at), target].map((p) => host.displayPath(p)).join(' → ');
        diagnostics.push(
          diag('CNN2010', `import cycle: ${chain}`, {
            span: decl.span,
            spanLabel: 'this import closes the cycle',
            help: 'move the shared blocks into a third file that both import',
          }),
        );
        continue;
      }
      const imported = load(target, decl);
      if (imported && !mod.importDecls.has(imported)) {
        mod.imports.push(imported);
        mod.importDecls.set(imported, decl);
      }
    }
    loading.pop();
    return mod;
  };

  let roots: string[] = [];
  let projectShown = '';
  const inRoots = (p: string) => roots.some((r) => isInside(p, r));
  /** The canonical path an import names, or the diagnostic that refuses it. */
  const resolveImport = (decl: ImportDecl, from: string): string | Diagnostic => {
    const written =
      decl.target.kind === 'Stdlib'
        ? path.join(host.stdlibDir, `${decl.target.name}.cnn`)
        : path.resolve(path.dirname(from), decl.target.path);
    const shown = decl.target.kind === 'Stdlib' ? decl.target.name : decl.target.path;
    // Outside as written: refused without looking at the file system at all.
    if (!inRoots(written)) return outside(JSON.stringify(shown), false, projectShown, decl);
    const facts = host.inspect(written);
    if (!facts) return missing(written, decl, host);
    if (!inRoots(facts.canonical)) return outside(JSON.stringify(shown), true, projectShown, decl);
    if (facts.kind !== 'file') return notAFile(facts.kind, JSON.stringify(shown), decl);
    if (!facts.canonical.endsWith('.cnn'))
      return diag('CNN2061', `cannot import ${JSON.stringify(shown)}: it is not a .cnn file`, {
        span: decl.span,
        spanLabel: 'not a .cnn source',
        help: 'an import names a .cnn file of the project or a standard-library module; the file is not read',
      });
    return facts.canonical;
  };

  const entryFacts = host.inspect(entryPath);
  let entry: Module | undefined;
  if (!entryFacts) {
    diagnostics.push(
      diag('CNN2011', `cannot read ${host.displayPath(entryPath)}: no such file`, {
        help: 'check the path; cnnc reads .cnn files',
      }),
    );
  } else {
    // The project is found from the entry's path as given, so that a linked entry file (a PR's
    // `models/x.cnn -> ~/.ssh/id_rsa`) cannot move the project to where it points.
    const projectRoot = host.projectRoot(entryPath);
    projectShown = host.displayPath(projectRoot) || '.';
    roots = [projectRoot, host.stdlibDir, ...importRoots].flatMap((r) => {
      const c = host.inspect(r);
      return c && c.canonical !== r ? [r, c.canonical] : [r];
    });
    const shown = host.displayPath(entryPath);
    if (!inRoots(entryFacts.canonical)) diagnostics.push(outside(shown, true, projectShown));
    else if (entryFacts.kind !== 'file') diagnostics.push(notAFile(entryFacts.kind, shown));
    else entry = load(entryFacts.canonical);
  }
  if (entry) checkImportConflicts(entry, diagnostics);
  return { value: { entry, modules, sources }, diagnostics };
}

function outside(
  shown: string,
  throughLink: boolean,
  project: string,
  decl?: ImportDecl,
): Diagnostic {
  const how = throughLink ? 'a symbolic link on its path leads' : 'it is';
  return diag(
    'CNN2060',
    `cannot ${decl ? 'import' : 'read'} ${shown}: ${how} outside the project`,
    {
      span: decl?.span,
      spanLabel: decl ? 'outside the project' : undefined,
      notes: [
        `the project is the folder ${project} (the nearest one with a package.json or .git above the file checked, else that file's own folder); a .cnn file reads only files inside it and the standard library`,
      ],
      help: 'the file is not read; to import from a folder outside the project on purpose, pass --allow-import-outside DIR',
    },
  );
}

const KIND_TEXT: Readonly<Record<Exclude<FileFacts['kind'], 'file'>, string>> = {
  directory: 'a directory',
  'link-loop': 'a symbolic link that loops',
  other: 'a device, pipe or socket',
};

function notAFile(kind: FileFacts['kind'], shown: string, decl?: ImportDecl): Diagnostic {
  const what = KIND_TEXT[kind as Exclude<FileFacts['kind'], 'file'>];
  return diag('CNN2062', `cannot ${decl ? 'import' : 'read'} ${shown}: it is ${what}, not a file`, {
    span: decl?.span,
    spanLabel: decl ? `${what}` : undefined,
    help: 'cnnc reads regular .cnn files only',
  });
}

function missing(absPath: string, from: ImportDecl, host: Host): Diagnostic {
  if (from.target.kind === 'Stdlib') {
    const s = didYouMean(from.target.name, host.stdlibModules());
    return diag('CNN2011', `no standard-library module \`${from.target.name}\``, {
      span: from.span,
      help: s
        ? `did you mean \`import ${s}\`?`
        : `the standard library has: ${host.stdlibModules().join(', ')}; a file is imported with a path in quotes`,
    });
  }
  return diag('CNN2011', `cannot find ${host.displayPath(absPath)}`, {
    span: from.span,
    spanLabel: 'imported here',
    help: 'paths are relative to the importing file',
  });
}

function collectDecls(mod: Module, diagnostics: Diagnostic[]): void {
  for (const decl of mod.ast.decls) {
    if (decl.kind === 'Import') continue;
    const name = decl.name.name;
    const prev = mod.models.get(name) ?? mod.blocks.get(name);
    if (prev) {
      diagnostics.push(
        diag('CNN2012', `\`${name}\` is defined twice`, {
          span: decl.name.span,
          labels: [{ span: prev.name.span, message: 'first defined here' }],
          help: 'rename one of them',
        }),
      );
      continue;
    }
    if (decl.kind === 'Block' && lookupOp(name)) {
      diagnostics.push(
        diag('CNN2012', `block \`${name}\` has the name of a built-in layer`, {
          span: decl.name.span,
          help: `rename the block, e.g. \`${name}_block\``,
        }),
      );
      continue;
    }
    if (decl.kind === 'Model') mod.models.set(name, decl);
    else mod.blocks.set(name, decl);
  }
}

/** Two imports of one module defining the same name are ambiguous. */
function checkImportConflicts(entry: Module, diagnostics: Diagnostic[]): void {
  const seen = new Set<Module>();
  const visit = (mod: Module): void => {
    if (seen.has(mod)) return;
    seen.add(mod);
    const owner = new Map<string, Module>();
    for (const imp of mod.imports) {
      for (const name of [...imp.models.keys(), ...imp.blocks.keys()]) {
        if (mod.models.has(name) || mod.blocks.has(name)) continue; // own definitions shadow imports
        const first = owner.get(name);
        if (first && first !== imp) {
          const decl = mod.importDecls.get(imp);
          diagnostics.push(
            diag('CNN2012', `\`${name}\` is defined by both ${first.display} and ${imp.display}`, {
              span: decl?.span,
              help: `define your own \`${name}\` in ${mod.display} to choose, or import only one`,
            }),
          );
        } else owner.set(name, imp);
      }
      visit(imp);
    }
  };
  visit(entry);
}

/** Finds a model or block visible from a module: its own, then its direct imports. */
export function lookupDecl<K extends 'models' | 'blocks'>(
  mod: Module,
  kind: K,
  name: string,
): { decl: NonNullable<ReturnType<Module[K]['get']>>; module: Module } | undefined {
  const own = mod[kind].get(name);
  if (own) return { decl: own as NonNullable<ReturnType<Module[K]['get']>>, module: mod };
  for (const imp of mod.imports) {
    const d = imp[kind].get(name);
    if (d) return { decl: d as NonNullable<ReturnType<Module[K]['get']>>, module: imp };
  }
  return undefined;
}

export function visibleNames(mod: Module, kind: 'models' | 'blocks'): string[] {
  const names = [...mod[kind].keys()];
  for (const imp of mod.imports) for (const name of imp[kind].keys()) names.push(name);
  return names;
}
