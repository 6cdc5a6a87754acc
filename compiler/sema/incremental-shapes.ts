/**
 * Shapes computed while elaborating, so that `in.channels` in a block or `when` condition can be
 * evaluated. Uses the same shape rules as the analysis pass, with diagnostics discarded: the pass
 * reports them once, in order.
 */
import type { Node } from '../ir/graph.js';
import { SymbolEnv, type Dim } from './dim.js';
import { shapeRules } from './shape-rules.js';
import type { RuleContext, ShapeRule } from './shape-rule-context.js';
import type { OpKind } from '../ir/ops.js';

export class IncrementalShapes {
  private readonly shapes: (readonly Dim[] | null)[] = [];
  private readonly poisoned = new Set<number>();
  private readonly env = new SymbolEnv();

  constructor(private readonly nodes: readonly Node[]) {}

  poison(id: number): void {
    this.poisoned.add(id);
  }

  shapeOf(id: number): readonly Dim[] | null {
    for (let i = this.shapes.length; i <= id && i < this.nodes.length; i++) {
      this.shapes.push(this.compute(this.nodes[i]));
    }
    return this.shapes[id] ?? null;
  }

  private compute(node: Node): readonly Dim[] | null {
    if (this.poisoned.has(node.id)) return null;
    const inputShapes: (readonly Dim[])[] = [];
    const inputs: Node[] = [];
    for (const i of node.inputs) {
      const s = this.shapes[i];
      if (!s) return null;
      inputShapes.push(s);
      inputs.push({ ...this.nodes[i], shape: s } as Node);
    }
    const ctx: RuleContext = {
      env: this.env,
      node,
      inputs,
      inputShapes,
      report: () => {},
      explain: () => {},
    };
    const rule = shapeRules[node.op] as ShapeRule<OpKind>;
    return rule(node.attrs, ctx);
  }
}
