import { it } from 'vitest';
import { parseFile } from '../../grammar/index.js';
const kinds: Record<string, string[]> = {
  a: ['conv 64 3x3 same, relu'],
  b: ['conv 64 3x3 same'],
  c: ['conv 64 3x3 same, relu', 'maxpool 2x2 /2', 'bn', 'dropout 0.5', 'conv 128 3x3 /2 pad 1 nobias'],
  d: ['conv 64 3x3 same, relu', 'maxpool 2x2 /2', 'c1: conv 128 3x3 /2 pad 1 nobias', 'dense (64 + 2) * 3, dropout 0.5'],
};
it('bench', () => {
  const kind = process.env.KIND ?? 'a';
  const layers = kinds[kind];
  const out = ['model Big {', '  input 224x224x3'];
  for (let i = 0; i < 10000; i++) out.push(`  ${layers[i % layers.length]}`);
  out.push('}');
  const big = out.join('\n');
  const t0 = performance.now(); parseFile(big, 'x'); const t1 = performance.now();
  parseFile(big, 'x'); const t2 = performance.now();
  console.log('KIND', kind, big.length, 'cold', (t1 - t0).toFixed(0), 'second', (t2 - t1).toFixed(0));
});
