/** `cnnc fmt [--check] FILES…` */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatCnn, type FormatOptions } from '../format/index.js';
import { parseArgs, UsageError } from './args.js';
import { printDiagnostics } from './common.js';
import type { ExitCode, Io } from './io.js';

export const FMT_HELP = `usage: cnnc fmt [--check] FILES...

Formats .cnn files in place with prettier-plugin-cnn: one statement line per line, two spaces per
level, canonical spacing (\`conv 64 3x3 /2\`), comments kept (aligned where they were), blank lines
kept but collapsed. A folder means every .cnn file under it. The printWidth and tabWidth of a
prettier configuration that applies to a file are honoured. A file with syntax errors is never
touched: its diagnostics are printed instead.

options:
  --check   change nothing; list the files that are not formatted

exit status: 0 done (with --check: every file is formatted), 1 with --check: some file is not,
2 usage error, or a file that cannot be read or parsed`;

/** The .cnn files an argument names: the file itself, or those under a folder (sorted). */
function expand(arg: string, cwd: string): string[] {
  const abs = path.resolve(cwd, arg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    return [abs]; // reported as unreadable below
  }
  if (!stat.isDirectory()) return [abs];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.cnn')) out.push(p);
    }
  };
  walk(abs);
  return out;
}

/** The printWidth and tabWidth of the prettier configuration that applies to a file. */
export async function prettierOptions(file: string): Promise<FormatOptions> {
  const { resolveConfig } = await import('prettier');
  const config = await resolveConfig(file, { editorconfig: false });
  const options: { printWidth?: number; tabWidth?: number } = {};
  if (typeof config?.printWidth === 'number') options.printWidth = config.printWidth;
  if (typeof config?.tabWidth === 'number') options.tabWidth = config.tabWidth;
  return options;
}

export async function runFmt(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, { check: { value: false } });
  if (args.positional.length === 0)
    throw new UsageError('cnnc fmt needs at least one .cnn file or folder');
  const check = args.flags.has('check');
  const files = args.positional.flatMap((a) => expand(a, io.cwd));
  const display = (abs: string) => io.host.displayPath(abs);
  let failed = 0;
  let changed = 0;
  const refused: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const abs of files) {
    const text = io.host.readFile(abs);
    if (text === undefined) {
      io.err(`cnnc fmt: cannot read ${display(abs)}\n`);
      failed++;
      continue;
    }
    let options: FormatOptions;
    try {
      options = await prettierOptions(abs);
    } catch (e) {
      io.err(
        `cnnc fmt: cannot read the prettier configuration for ${display(abs)}: ${String(e)}\n`,
      );
      failed++;
      continue;
    }
    const result = await formatCnn(text, display(abs), options);
    if (result.formatted === undefined) {
      refused.push(...result.diagnostics);
      sources.set(display(abs), text);
      failed++;
      continue;
    }
    if (result.formatted === text) continue;
    changed++;
    if (check) io.out(`not formatted: ${display(abs)}\n`);
    else io.writeFile(abs, result.formatted);
  }
  printDiagnostics(io, refused, sources);
  const n = (k: number) => `${k} file${k === 1 ? '' : 's'}`;
  const same = files.length - changed - failed;
  const skipped = failed ? `, ${n(failed)} skipped` : '';
  io.out(
    check
      ? `${n(changed)} not formatted, ${n(same)} formatted${skipped}\n`
      : `${n(changed)} formatted, ${n(same)} already formatted${skipped}\n`,
  );
  if (failed) return 2;
  return check && changed > 0 ? 1 : 0;
}
