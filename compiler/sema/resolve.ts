/**
 * Loads a .cnn file and its imports into modules with their declarations. The file system is
 * reached only through the Host (the CLI passes one backed by node:fs; tests pass in-memory ones).
 * Import cycles and missing imports are diagnostics.
 */
import * as path from 'node:path';
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
import { lookupOp } from './op-table.js';
import { didYouMean } from './suggest.js';

export interface Host {
  /** The text of a file, or undefined when it cannot be read. */
  readFile(absPath: string): string | undefined;
  /**
   * A file's size in bytes, when it can be known without reading it: a file over MAX_SOURCE_BYTES
   * is then refused (CNN1007) before it is read.
   */
  fileSize?(absPath: string): number | undefined;
  /** Absolute path of the directory holding the standard library (`import resnet`). */
  readonly stdlibDir: string;
  /** Names of the stdlib modules, for did-you-mean. */
  stdlibModules(): readonly string[];
  /** The path shown in diagnostics and summaries for a file (relative, never absolute). */
  displayPath(absPath: string): string;
}

export interface Module {
  readonly path: string;
  readonly display: string;
  readonly text: string;
  readonly ast: FileAst;
  readonly imports: Module[];
  readonly models: Map<string, ModelDecl>;
  readonly blocks: Map<string, BlockDecl>;
}

export interface Program {
  readonly entry: Module | undefined;
  readonly modules: ReadonlyMap<string, Module>;
  /** display path → text, for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

export function loadProgram(
  entryPath: string,
  host: Host,
): { value: Program; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const modules = new Map<string, Module>();
  const sources = new Map<string, string>();
  const loading: string[] = [];

  const load = (absPath: string, from?: ImportDecl): Module | undefined => {
    const existing = modules.get(absPath);
    if (existing) return existing;
    const display = host.displayPath(absPath);
    const bytes = host.fileSize?.(absPath);
    if (bytes !== undefined && bytes > MAX_SOURCE_BYTES) {
      diagnostics.push(sourceTooLarge(display, bytes, from?.span));
      return undefined;
    }
    const text = host.readFile(absPath);
    if (text === undefined) {
      diagnostics.push(missing(absPath, display, from, host));
      return undefined;
    }
    const parsed = parseFile(text, display);
    for (const d of parsed.diagnostics) diagnostics.push(d);
    sources.set(display, text);
    const mod: Module = {
      path: absPath,
      display,
      text,
      ast: parsed.value,
      imports: [],
      models: new Map(),
      blocks: new Map(),
    };
    modules.set(absPath, mod);
    collectDecls(mod, diagnostics);
    loading.push(absPath);
    for (const decl of mod.ast.decls) {
      if (decl.kind !== 'Import') continue;
      const target =
        decl.target.kind === 'Stdlib'
          ? path.join(host.stdlibDir, `${decl.target.name}.cnn`)
          : path.resolve(path.dirname(absPath), decl.target.path);
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
      if (imported) mod.imports.push(imported);
    }
    loading.pop();
    return mod;
  };

  const entry = load(entryPath);
  if (entry) checkImportConflicts(entry, diagnostics);
  return { value: { entry, modules, sources }, diagnostics };
}

function missing(
  absPath: string,
  display: string,
  from: ImportDecl | undefined,
  host: Host,
): Diagnostic {
  if (!from) {
    return diag('CNN2011', `cannot read ${display}: no such file`, {
      help: 'check the path; cnnc reads .cnn files',
    });
  }
  if (from.target.kind === 'Stdlib') {
    const s = didYouMean(from.target.name, host.stdlibModules());
    return diag('CNN2011', `no standard-library module \`${from.target.name}\``, {
      span: from.span,
      help: s
        ? `did you mean \`import ${s}\`?`
        : `the standard library has: ${host.stdlibModules().join(', ')}; a file is imported with a path in quotes`,
    });
  }
  return diag('CNN2011', `cannot find ${display}`, {
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
          const decl = mod.ast.decls.find(
            (d) => d.kind === 'Import' && d.span && isImportOf(d, imp),
          );
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

function isImportOf(decl: ImportDecl, mod: Module): boolean {
  return decl.target.kind === 'Stdlib'
    ? mod.path.endsWith(`${path.sep}${decl.target.name}.cnn`)
    : mod.path.endsWith(path.basename(decl.target.path));
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
