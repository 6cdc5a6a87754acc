/**
 * Node options for the process that runs `cnnc lsp`. Compiling a 1,000-line file allocates enough
 * that with Node's default young generation (16 MiB semi-spaces) the server spends a large share of
 * a keystroke collecting garbage; 64 MiB semi-spaces keep it under the 50 ms of `npm run bench`.
 * The VS Code extension starts the server with these options; other editors can pass them too.
 */
export const LSP_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=64'];
