/**
 * The JSON form of the IR (docs/ir.schema.json): the graph with symbolic sizes written as
 * `{"sym": "H", "num": 1, "den": 32, "add": 0}` and unknown sizes as null, and MACs beyond
 * 2^53 − 1 as a string of digits (JSON readers parse numbers as doubles). Spans become
 * `{"file", "start", "end"}`. Field order is stable.
 */
import { countJson } from '../sema/count.js';
import type { Graph, Node } from './graph.js';

export function irToJson(graph: Graph): unknown {
  return {
    irVersion: graph.irVersion,
    model: graph.model,
    file: graph.file,
    span: graph.span,
    outputs: graph.outputs,
    ...(graph.outputNames ? { outputNames: graph.outputNames } : {}),
    symbols: graph.symbols,
    budgets: graph.budgets,
    ...(graph.train ? { train: graph.train } : {}),
    nodes: graph.nodes.map(nodeJson),
  };
}

function nodeJson(n: Node): unknown {
  return {
    id: n.id,
    name: n.name,
    op: n.op,
    attrs: n.attrs,
    inputs: n.inputs,
    frozen: n.frozen,
    span: n.span,
    ...(n.callSites ? { callSites: n.callSites } : {}),
    ...(n.shape !== undefined ? { shape: n.shape } : {}),
    ...(n.weights ? { weights: n.weights } : {}),
    ...(n.macs !== undefined ? { macs: n.macs === null ? null : countJson(n.macs) } : {}),
    ...(n.rf !== undefined ? { rf: n.rf } : {}),
  };
}
