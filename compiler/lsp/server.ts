/**
 * The language server: one handler per LSP feature, each handing the current analysis of the
 * document to its provider (providers/, one feature per file, as Langium organises its services).
 *
 * Diagnostics are published after every change, without a timer: changes that arrive together are
 * analysed once, with the latest text, and the open documents that import a changed one are
 * analysed again after it (once: a document whose analysis did not change is not published again,
 * so two files that import each other do not check each other forever).
 */
import {
  CodeActionKind,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { FormatOptions } from '../format/index.js';
import type { Host } from '../program.js';
import { codeActions } from './providers/code-actions.js';
import { completion } from './providers/completion.js';
import { definition } from './providers/definition.js';
import { lspDiagnostics } from './providers/diagnostics.js';
import { documentSymbols } from './providers/document-symbols.js';
import { formatting } from './providers/formatting.js';
import { hover } from './providers/hover.js';
import { inlayHints } from './providers/inlay-hints.js';
import { SEMANTIC_LEGEND, semanticTokens } from './providers/semantic-tokens.js';
import type { Analysis } from './analysis.js';
import { Workspace } from './workspace.js';

export interface ServerOptions {
  /** The CLI's Host: files and the standard library. */
  readonly host: Host;
  /** Where documents that are not files are taken to be. */
  readonly cwd: string;
  /** The training settings for completion in `train { }`, as `key` or `key ARGS…`. */
  readonly trainKeys: readonly string[];
  /** The formatting options that apply to a file (a prettier configuration's printWidth). */
  readonly formatOptions?: (absPath: string) => Promise<FormatOptions>;
}

export function startServer(connection: Connection, options: ServerOptions): void {
  const workspace = new Workspace(options.host, options.cwd);
  const documents = new TextDocuments(TextDocument);
  const completionSources = {
    trainKeys: options.trainKeys,
    stdlibModules: () => options.host.stdlibModules(),
  };

  connection.onInitialize((): InitializeResult => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['.'] },
      definitionProvider: true,
      documentSymbolProvider: true,
      inlayHintProvider: true,
      semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'cnnc' },
  }));

  // ------------------------------------------------------------ documents and diagnostics

  const pending = new Set<string>();
  /** The analysis whose diagnostics each document shows. */
  const published = new Map<string, Analysis>();
  let scheduled = false;
  const validate = (): void => {
    scheduled = false;
    const uris = [...pending];
    pending.clear();
    for (const uri of uris) {
      const a = workspace.analysis(uri);
      // Unchanged since it was published (a file that imports it changed, say): nothing to do.
      if (!a || published.get(uri) === a) continue;
      published.set(uri, a);
      void connection.sendDiagnostics({ uri, version: a.version, diagnostics: lspDiagnostics(a) });
      for (const dep of workspace.dependents(uri)) schedule(dep);
    }
  };
  const schedule = (uri: string): void => {
    pending.add(uri);
    if (!scheduled) {
      scheduled = true;
      setImmediate(validate);
    }
  };

  // A document (re)opened gets its diagnostics even if they did not change.
  documents.onDidOpen((e) => published.delete(e.document.uri));
  documents.onDidChangeContent((e) => {
    workspace.setText(e.document.uri, e.document.version, e.document.getText());
    schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    workspace.close(e.document.uri);
    pending.delete(e.document.uri);
    published.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  // ------------------------------------------------------------ features

  const withAnalysis = <R>(
    uri: string,
    fallback: R,
    f: (a: NonNullable<ReturnType<Workspace['analysis']>>) => R,
  ): R => {
    const a = workspace.analysis(uri);
    return a ? f(a) : fallback;
  };

  connection.onHover((p) => withAnalysis(p.textDocument.uri, null, (a) => hover(a, p.position)));
  connection.onCompletion((p) =>
    withAnalysis(p.textDocument.uri, [], (a) => completion(a, p.position, completionSources)),
  );
  connection.onDefinition((p) =>
    withAnalysis(p.textDocument.uri, null, (a) => definition(a, p.position)),
  );
  connection.onDocumentSymbol((p) =>
    withAnalysis(p.textDocument.uri, [], (a) => documentSymbols(a)),
  );
  connection.languages.inlayHint.on((p) =>
    withAnalysis(p.textDocument.uri, [], (a) => inlayHints(a, p.range)),
  );
  connection.languages.semanticTokens.on((p) =>
    withAnalysis(p.textDocument.uri, { data: [] }, (a) => semanticTokens(a)),
  );
  connection.onCodeAction((p) => withAnalysis(p.textDocument.uri, [], (a) => codeActions(a, p)));
  connection.onDocumentFormatting(async (p) => {
    const a = workspace.analysis(p.textDocument.uri);
    if (!a) return [];
    const fromConfig = options.formatOptions ? await options.formatOptions(a.path) : {};
    return formatting(a, p.options, fromConfig.printWidth);
  });

  documents.listen(connection);
  connection.listen();
}
