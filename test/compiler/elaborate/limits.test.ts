/**
 * Compilation work grows linearly with the program: derived chains, long labels. Measured by
 * counting Map/Set writes and hashed key characters (test/helpers/work-counter.ts), never by time.
 * And names a plain object already has (`constructor`, `__proto__`) are names like any other.
 */
import { describe as group, expect, it } from 'vitest';
import { main } from '../../../compiler/cli/main.js';
import { memoryHost } from '../../helpers/memory-host.js';
import { countWork } from '../../helpers/work-counter.js';
import { codes, compile } from './helpers.js';

/** `model M0 { … }` and n models each deriving from the one before. */
function chain(n: number, change = 'input 8'): string {
  let s = 'model M0 {\n  input 8\n  dense 4\n}\n';
  for (let i = 1; i <= n; i++) s += `model M${i} = M${i - 1} {\n  ${change}\n}\n`;
  return s;
}

/** `depth` groups nested, each labelled with `len` characters, around `repeat count { relu }`. */
function longLabels(depth: number, len: number, count: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += `${'a'.repeat(len)}${i}: {\n`;
    close += '}\n';
  }
  return `model M {\n  input 8\n${open}repeat ${count} { relu }\n${close}}\n`;
}

group('derived chains', () => {
  it('derive each model once: 4x the chain is about 4x the work', () => {
    const small = countWork(() => compile(chain(100))).work.writes;
    const large = countWork(() => compile(chain(400))).work.writes;
    expect(large / small).toBeLessThan(6);
  });

  it('compile a chain of 3,000 models', () => {
    const r = compile(chain(3000, 'append { relu }'), { model: 'M3000' });
    expect(r.diagnostics).toEqual([]);
    expect(r.models[0].graph.nodes.length).toBe(3002);
  });

  it('report a cycle alone, without a missing input', () => {
    expect(codes('model M = M {\n}\n')).toEqual(['CNN2009']);
    expect(codes('model M = M {\n  append { dense 4 }\n}\n')).toEqual(['CNN2009']);
    expect(codes('model A = B {\n}\nmodel B = A {\n}\n')).toEqual(['CNN2009']);
    expect(codes('model C = Nope {\n  append { relu }\n}\n')).toEqual(['CNN2015']);
  });
});

group('long labels', () => {
  it('hash no name longer than its own label', () => {
    const text = longLabels(20, 1000, 500);
    const { result, work } = countWork(() => compile(text, { verifyEach: false }));
    expect(result.diagnostics).toEqual([]);
    const nodes = result.models[0].graph.nodes.length;
    expect(nodes).toBe(501);
    // Each label is hashed a few times; every name is 20,000 characters long, and hashing each
    // whole would be 10 M characters.
    expect(work.keyChars).toBeLessThan(8 * text.length + 200 * nodes);
  });
});

group('names that Object.prototype has', () => {
  it.each([['__proto__'], ['constructor'], ['toString'], ['hasOwnProperty'], ['valueOf']])(
    'a block parameter named %s is a parameter like any other',
    (p) => {
      const r = compile(
        `block b(${p}: int) { conv ${p} 1x1 }\nmodel M {\n  input 4x4x1\n  b(2)\n}\n`,
      );
      expect(r.diagnostics).toEqual([]);
      expect(r.models[0].graph.nodes[1].attrs).toMatchObject({ filters: 2 });
    },
  );

  it.each([['constructor'], ['__proto__']])('`conv 4 3x3 %s` is an unknown attribute', (w) => {
    expect(codes(`model M {\n  input 8x8x1\n  conv 4 3x3 ${w}\n}\n`)).toEqual(['CNN2002']);
  });

  it.each([['constructor'], ['__proto__'], ['toString']])(
    '`cnnc %s` and the option of that name are usage errors',
    (w) => {
      const run = (argv: string[]) => {
        let err = '';
        const code = main(argv, {
          cwd: '/',
          env: {},
          stdoutIsTTY: false,
          stderrIsTTY: false,
          host: memoryHost({}),
          out: () => {},
          err: (t) => void (err += t),
          writeFile: () => {},
        });
        return { code, err };
      };
      expect(run([w])).toEqual({
        code: 2,
        err: `cnnc: unknown command "${w}"\n(see cnnc --help)\n`,
      });
      expect(run(['check', `--${w}`, 'x.cnn'])).toEqual({
        code: 2,
        err: `cnnc: unknown option --${w}\n(see cnnc check --help)\n`,
      });
    },
  );
});
