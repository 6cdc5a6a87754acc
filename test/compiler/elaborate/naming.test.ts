import { describe as group, expect, it } from 'vitest';
import { model, names, codes } from './helpers.js';

group('hierarchical names', () => {
  it('counts unlabelled layers per op keyword', () => {
    const m = model(
      'model A {\n input 8x8x1\n conv 4 3x3, relu\n conv 4 3x3, relu\n flatten, dense 2\n}',
    );
    expect(names(m.graph)).toEqual([
      'input',
      'conv1',
      'relu1',
      'conv2',
      'relu2',
      'flatten1',
      'dense1',
    ]);
  });

  it('uses labels, and skips names that labels reserve', () => {
    const m = model('model A {\n input 8x8x1\n conv 4 3x3\n conv1: conv 4 3x3\n}');
    expect(names(m.graph)).toEqual(['input', 'conv2', 'conv1']);
  });

  it('numbers unlabelled block calls from 0 inside labelled groups', () => {
    const src = `
block unit(c: int) { conv c 3x3 same, relu }
model A {
  input 8x8x1
  stage1: { unit(4); unit(4) }
  stage2: { unit(8) }
}`;
    expect(names(model(src).graph)).toEqual([
      'input',
      'stage1.0.conv1',
      'stage1.0.relu1',
      'stage1.1.conv1',
      'stage1.1.relu1',
      'stage2.0.conv1',
      'stage2.0.relu1',
    ]);
  });

  it('names residual shortcuts and concat branches', () => {
    const src = `
model A {
  input 8x8x4
  residual { conv 8 3x3 same } shortcut { conv 8 1x1 }
  concat { branch { conv 2 1x1 } b: branch { conv 3 1x1 } branch { } }
}`;
    expect(names(model(src).graph)).toEqual([
      'input',
      'conv1',
      'shortcut.conv1',
      'add1',
      'branch1.conv1',
      'b.conv1',
      'concat1',
    ]);
  });

  it('reports duplicate labels at the second one', () => {
    expect(codes('model A {\n input 8x8x1\n x: relu\n x: tanh\n}')).toContain('CNN2013');
  });
});
