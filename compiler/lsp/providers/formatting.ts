/**
 * Formatting through prettier-plugin-cnn (compiler/format): one edit replacing the document with
 * its formatted text, none when it is formatted already or cannot be parsed.
 */
import type { FormattingOptions, TextEdit } from 'vscode-languageserver/node';
import { formatCnn } from '../../format/index.js';
import type { Analysis } from '../analysis.js';

export async function formatting(
  a: Analysis,
  options: FormattingOptions,
  printWidth: number | undefined,
): Promise<TextEdit[]> {
  const r = await formatCnn(a.text, a.display, {
    tabWidth: options.tabSize,
    ...(printWidth ? { printWidth } : {}),
  });
  if (r.formatted === undefined || r.formatted === a.text) return [];
  return [{ range: a.range({ start: 0, end: a.text.length }), newText: r.formatted }];
}
