/** Runs the analysis pass on a graph built by hand and reads back the last node. */
import { analyze } from '../../../compiler/passes/analyze.js';
import type { AnalyzeResult } from '../../../compiler/passes/analyze.js';
import type { Node } from '../../../compiler/ir/graph.js';
import { formatShape } from '../../../compiler/sema/dim.js';
import { IrBuilder } from '../../helpers/ir-builder.js';

export interface Analysed {
  readonly result: AnalyzeResult;
  readonly last: Node;
  /** The last node's shape as `28x28x64`, or null when it has none. */
  readonly shape: string | null;
  readonly codes: readonly string[];
}

export function analyseBuilt(b: IrBuilder): Analysed {
  const result = analyze(b.graph());
  const nodes = result.graph.nodes;
  const last = nodes[nodes.length - 1];
  return {
    result,
    last,
    shape: last.shape ? formatShape(last.shape, result.env) : null,
    codes: result.diagnostics.map((d) => d.code),
  };
}

export function analyseWith(build: (b: IrBuilder) => void): Analysed {
  const b = new IrBuilder();
  build(b);
  return analyseBuilt(b);
}
