/** A small, strict argument parser: unknown flags and missing values are usage errors (exit 2). */

export interface FlagSpec {
  /** Takes a value (`--format json`) or is boolean (`--json`). */
  readonly value: boolean;
  readonly repeatable?: boolean;
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  spec: Readonly<Record<string, FlagSpec>>,
): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^-+/, '');
    const s = Object.hasOwn(spec, name) ? spec[name] : undefined; // not `--constructor`
    if (!s) throw new UsageError(`unknown option ${arg.split('=')[0]}`);
    let value = 'true';
    if (s.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option --${name} needs a value`);
    } else if (eq >= 0) {
      throw new UsageError(`option --${name} takes no value`);
    }
    const list = flags.get(name) ?? [];
    if (list.length && !s.repeatable) throw new UsageError(`option --${name} is given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { positional, flags };
}

const SUFFIX: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
  B: 1,
};

/** `30M` → 30e6, `2GiB` → 2·2³⁰, `5G` → 5e9. */
export function parseQuantity(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$/.exec(text.trim());
  const mult = m ? SUFFIX[m[2].toUpperCase()] : undefined;
  if (!m || mult === undefined) {
    throw new UsageError(
      `--${flag} expects a number such as 30M, 5G or 2GiB; got ${JSON.stringify(text)}`,
    );
  }
  return Number(m[1]) * mult;
}

/** `--threads N`: the threads to train and infer on; default every core Node reports. */
export function parseThreads(args: ParsedArgs, cores: number): number {
  const text = args.flags.get('threads')?.[0];
  return text === undefined ? cores : Math.min(parsePositiveInt('threads', text), 256);
}

export function parsePositiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${flag} expects a positive integer; got ${JSON.stringify(text)}`);
  return n;
}
