/**
 * Lays out an emitted TensorFlow.js project with prettier (the emitter builds the code; prettier's
 * `format` decides where lines break), with the repository's style: 100 columns, single quotes,
 * trailing commas. prettier is loaded on first use, so that commands that emit nothing never pay
 * for it. Deterministic: the same text in gives the same text out.
 */
import type { EmittedFile } from '../emitted.js';

const OPTIONS = { printWidth: 100, singleQuote: true, trailingComma: 'all' } as const;

function parserOf(file: string): string | null {
  if (file.endsWith('.ts')) return 'typescript';
  if (file.endsWith('.json')) return 'json';
  return null;
}

/** The files with their TypeScript and JSON formatted (Markdown is written laid out already). */
export async function formatProject(files: readonly EmittedFile[]): Promise<EmittedFile[]> {
  const prettier = await import('prettier');
  return Promise.all(
    files.map(async (f) => {
      const parser = parserOf(f.path);
      if (parser === null) return f;
      return { path: f.path, text: await prettier.format(f.text, { ...OPTIONS, parser }) };
    }),
  );
}
