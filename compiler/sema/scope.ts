/** Variable scopes of the elaborator: values (block parameters, `let c2 = c * 2`, repeat indices)
 * and layer bindings (`let C = conv 32 3x3 same`). */
import type { GroupStmt, SimpleStmt } from '../../grammar/ast.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Module } from './resolve.js';
import type { Value } from './values.js';

export interface LayerBinding {
  readonly stmt: SimpleStmt | GroupStmt;
  /** The scope the binding was defined in: its right-hand side evaluates there. */
  readonly scope: VarScope;
  readonly module: Module;
  readonly span: Span;
}

export class VarScope {
  private readonly values = new Map<string, Value>();
  private readonly layers = new Map<string, LayerBinding>();

  constructor(readonly parent?: VarScope) {}

  setValue(name: string, v: Value): void {
    this.values.set(name, v);
    this.layers.delete(name);
  }

  setLayer(name: string, b: LayerBinding): void {
    this.layers.set(name, b);
    this.values.delete(name);
  }

  value(name: string): Value | undefined {
    for (let s: VarScope | undefined = this; s; s = s.parent) {
      if (s.values.has(name)) return s.values.get(name);
      if (s.layers.has(name)) return undefined;
    }
    return undefined;
  }

  layer(name: string): LayerBinding | undefined {
    for (let s: VarScope | undefined = this; s; s = s.parent) {
      if (s.layers.has(name)) return s.layers.get(name);
      if (s.values.has(name)) return undefined;
    }
    return undefined;
  }

  *names(): Iterable<string> {
    for (let s: VarScope | undefined = this; s; s = s.parent) {
      yield* s.values.keys();
      yield* s.layers.keys();
    }
  }
}
