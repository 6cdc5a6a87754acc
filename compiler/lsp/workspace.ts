/**
 * The documents the editor has open and what is known about them (Langium's document manager and
 * builder in one small class). Files are read through the same Host as the CLI's, except that an
 * open document's text (its editor buffer) takes the place of the file on disk, for the document
 * itself and for every file that imports it.
 *
 * An analysis is computed on demand and kept per document until its text, or the text of an open
 * document it imports, changes.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFile, type Host } from '../program.js';
import { Analysis } from './analysis.js';

interface OpenDoc {
  readonly uri: string;
  readonly version: number;
  readonly text: string;
}

export class Workspace {
  private readonly open = new Map<string, OpenDoc>();
  private readonly analyses = new Map<string, Analysis>();
  readonly host: Host;

  constructor(
    base: Host,
    /** Where relative paths of documents that are not files resolve. */
    private readonly cwd: string,
  ) {
    // The compiler asks about a file by its canonical path (links resolved), so open documents
    // are also found by theirs; an unsaved buffer is a file at its made-up path.
    const byCanonical = this.byCanonical;
    const open = this.open;
    this.host = {
      ...base,
      stdlibDir: base.stdlibDir,
      stdlibModules: () => base.stdlibModules(),
      displayPath: (p) => base.displayPath(p),
      readFile: (p) => (byCanonical.get(p) ?? open.get(p))?.text ?? base.readFile(p),
      inspect(p) {
        const facts = base.inspect(p);
        const doc = byCanonical.get(facts?.canonical ?? p);
        if (!doc) return facts;
        return {
          canonical: facts?.canonical ?? p,
          kind: 'file',
          size: Buffer.byteLength(doc.text),
        };
      },
    };
    this.base = base;
  }

  private readonly base: Host;
  /** Open documents by the canonical path of their file. */
  private readonly byCanonical = new Map<string, OpenDoc>();

  private canonicalOf(absPath: string): string {
    return this.base.inspect(absPath)?.canonical ?? absPath;
  }

  /** The absolute path a document stands for (a made-up one under `cwd` for an unsaved buffer). */
  pathOf(uri: string): string {
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    const name = uri.replace(/[^A-Za-z0-9_.-]+/g, '_');
    return path.join(this.cwd, `${name}${name.endsWith('.cnn') ? '' : '.cnn'}`);
  }

  uriOf(absPath: string): string {
    for (const doc of this.open.values()) if (this.pathOf(doc.uri) === absPath) return doc.uri;
    return pathToFileURL(absPath).href;
  }

  setText(uri: string, version: number, text: string): void {
    const abs = this.pathOf(uri);
    const doc = { uri, version, text };
    this.open.set(abs, doc);
    this.byCanonical.set(this.canonicalOf(abs), doc);
  }

  close(uri: string): void {
    const abs = this.pathOf(uri);
    this.open.delete(abs);
    this.byCanonical.delete(this.canonicalOf(abs));
    this.analyses.delete(uri);
  }

  openUris(): string[] {
    return [...this.open.values()].map((d) => d.uri);
  }

  /** The text of an open document or of a file on disk. */
  textOf(absPath: string): string | undefined {
    return this.host.readFile(absPath);
  }

  /** The current analysis of an open document (computed now if its text changed since). */
  analysis(uri: string): Analysis | undefined {
    const abs = this.pathOf(uri);
    const doc = this.open.get(abs);
    if (!doc) return undefined;
    const cached = this.analyses.get(uri);
    if (cached && cached.version === doc.version && this.importsUnchanged(cached)) return cached;
    const result = compileFile(abs, this.host);
    const analysis = new Analysis(
      uri,
      abs,
      this.host.displayPath(abs),
      doc.version,
      doc.text,
      result,
      () => compileFile(abs, this.host, { explain: true }),
    );
    this.analyses.set(uri, analysis);
    return analysis;
  }

  /** Every open document the analysis read still has the text it read then. */
  private importsUnchanged(a: Analysis): boolean {
    for (const [abs, doc] of this.open) {
      if (doc.uri === a.uri) continue;
      const seen = a.result.sources.get(this.host.displayPath(abs));
      if (seen !== undefined && seen !== doc.text) return false;
    }
    return true;
  }

  /** The open documents other than `uri` whose last analysis read `uri`'s file. */
  dependents(uri: string): string[] {
    const display = this.host.displayPath(this.pathOf(uri));
    const out: string[] = [];
    for (const [other, analysis] of this.analyses) {
      if (other !== uri && analysis.result.sources.has(display)) out.push(other);
    }
    return out;
  }
}
