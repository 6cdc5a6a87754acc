/**
 * yoloHeadsOf: a detector's heads as `cnnc train` and the emitted train.py read them. The grids
 * here are worked out by hand from the input size and the strides (a 'same' conv of stride 2
 * halves a side, rounding up); a graph that is not a detector, one output of which is not a yolo
 * head (the checker's CNN2137) included, has none.
 */
import { describe, expect, it } from 'vitest';
import { detectorSettingValues } from '../../../compiler/codegen/pytorch/train-detect-py.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

// 24 rows by 40 columns: stride 2 gives a 12x20 grid, stride 4 a 6x10 grid.
const MULTI_SCALE = `model MS {
  input 24x40x3
  conv 6 3x3 /2 same
  relu
  output fine {
    conv 14 1x1
    yolo 2 anchors (3, 4, 5, 6) stride 2
  }
  conv 8 3x3 /2 same
  relu
  conv 7 1x1
  yolo 2 anchors (9, 8) stride 4
}
`;

// 20x20, stride 4: a 5x5 grid; 2 boxes per cell and 3 classes need 2·5 + 3 = 13 channels.
const V1 = `model V1 {
  input 20x20x1
  conv 4 3x3 /2 same
  relu
  conv 13 3x3 /2 same
  yolo 3 boxes 2 stride 4
}
`;

const CLASSIFIER = `model C {
  input 8x8x1
  conv 4 3x3
  flatten
  dense 10
}
`;

function compiled(source: string): { graph: Graph; codes: string[] } {
  const file = memPath('m.cnn');
  const r = compileFile(file, memoryHost({ [file]: source }));
  return { graph: r.models[0].graph, codes: r.diagnostics.map((d) => d.code) };
}

describe('yoloHeadsOf', () => {
  it('reads one head per output, in the outputs’ order, with the grid, anchors and image', () => {
    const { graph, codes } = compiled(MULTI_SCALE);
    expect(codes).toEqual([]);
    // graph.outputs: the model's own output first, then `fine` (test/runtime/detection/multiscale).
    expect(yoloHeadsOf(graph)).toEqual([
      { grid: [6, 10], classes: 2, boxes: 1, anchors: [[9, 8]], image: [24, 40] },
      {
        grid: [12, 20],
        classes: 2,
        boxes: 2,
        anchors: [
          [3, 4],
          [5, 6],
        ],
        image: [24, 40],
      },
    ]);
  });

  it('reads a v1 head: boxes per cell and no anchors', () => {
    const { graph, codes } = compiled(V1);
    expect(codes).toEqual([]);
    expect(yoloHeadsOf(graph)).toEqual([
      { grid: [5, 5], classes: 3, boxes: 2, anchors: [], image: [20, 20] },
    ]);
  });

  it('is null for a model without a yolo head', () => {
    expect(yoloHeadsOf(compiled(CLASSIFIER).graph)).toBeNull();
  });

  it('is null when one output is not a yolo head: such a model is no detector (CNN2137)', () => {
    const { graph } = compiled(MULTI_SCALE);
    // `fine` without its yolo head: the output is the 1x1 conv before it.
    const conv = graph.nodes[graph.nodes[graph.outputs[1]].inputs[0]];
    expect(conv.op).toBe('conv2d');
    const mixed: Graph = { ...graph, outputs: [graph.outputs[0], conv.id] };
    expect(yoloHeadsOf(mixed)).toBeNull();
    // train.py then writes no heads for it, rather than those of the yolo outputs alone.
    expect(detectorSettingValues(mixed, resolveSettings(mixed).settings)).toEqual({});
    // The checker refuses such a model before either reads it.
    const source = MULTI_SCALE.replace(/yolo 2 anchors \(3, 4, 5, 6\) stride 2\n/, '');
    expect(compiled(source).codes).toContain('CNN2137');
  });

  it('is null when a head’s grid is not known (a poisoned shape)', () => {
    const { graph } = compiled(V1);
    const head = graph.outputs[0];
    const nodes = graph.nodes.map((n) => (n.id === head ? { ...n, shape: null } : n));
    expect(yoloHeadsOf({ ...graph, nodes })).toBeNull();
  });
});
