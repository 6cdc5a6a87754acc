/**
 * The VS Code extension of .cnn files: the language (highlighting from syntaxes/, brackets and
 * comments from language-configuration.json) and the client that starts `cnnc lsp --stdio`.
 *
 * Which cnnc: see find-server.ts.
 * scripts/package-vscode.ts bundles this file with the language client into dist/extension.js.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { LSP_NODE_OPTIONS } from '../../../compiler/lsp/node-options.js';
import { findServer } from './find-server.js';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration('cnn');
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const server = findServer(config.get<string>('server.path', ''), folders);
  if (!server) {
    void vscode.window.showWarningMessage(
      'cnn: no cnnc found for the language server. Install cnnc in the workspace (npm install cnnc) or set `cnn.server.path`.',
    );
    return;
  }
  const cwd = folders[0];
  const serverOptions: ServerOptions =
    'module' in server
      ? {
          module: server.module,
          transport: TransportKind.stdio,
          args: ['lsp'],
          options: { cwd, execArgv: [...LSP_NODE_OPTIONS] },
        }
      : {
          command: server.command,
          transport: TransportKind.stdio,
          args: ['lsp'],
          options: { cwd },
        };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'cnn' },
      { scheme: 'untitled', language: 'cnn' },
    ],
  };
  client = new LanguageClient('cnn', 'cnn', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}
