/**
 * The data of a diagram, independent of layout: what compiler/diagram/model.ts extracts from a
 * compiled model, and what the layout engine (engine.ts) turns into positioned boxes. It is plain
 * JSON, because the HTML diagram carries it to the browser, where the same engine lays it out again
 * when a scope is collapsed or expanded. Names are raw here; escaping happens when text is emitted.
 */

/** Edges into add/multiply are residual merges, edges into concat are branches; the rest is flow. */
export type EdgeKind = 'flow' | 'residual' | 'concat';

/** One IR node: one box when its scope is expanded. */
export interface DiagramLayer {
  /** The IR node id (its index in the graph). */
  readonly id: number;
  /** The full hierarchical IR name: `stage2.1.conv1`. */
  readonly name: string;
  /** The enclosing scope's path (`stage2.1`), or '' at the top level. */
  readonly scope: string;
  /** The op and its key attributes, as `cnnc summary` prints them: `conv 64 3x3 /2 pad 1`. */
  readonly op: string;
  /** Output shape per sample, `56x56x64`, or `?`. */
  readonly shape: string;
  readonly frozen: boolean;
  /** IR ids of the inputs. */
  readonly inputs: readonly number[];
  /** The kind of each input edge, parallel to `inputs`. */
  readonly edgeKind: EdgeKind;
  /** Hover text, one line each: parameters, MACs, receptive field, source position. */
  readonly details: readonly string[];
}

/** A dotted-name prefix shared by several layers (a stem, a stage, a block, a branch). */
export interface DiagramScope {
  /** `stage2.1`. */
  readonly path: string;
  /** The enclosing scope's path, or '' at the top level. */
  readonly parent: string;
  /** Number of segments in the path. */
  readonly depth: number;
  /** The source text of the block call that made the scope, `bottleneck_stage(128, 4, 2)`, if any. */
  readonly call: string | null;
  /** The number of layers inside, nested scopes included. */
  readonly layers: number;
  readonly frozen: 'all' | 'some' | 'none';
  /** Output shape of its last layer. */
  readonly shape: string;
  readonly details: readonly string[];
}

export interface DiagramModel {
  readonly model: string;
  readonly file: string;
  /** In IR (topological) order. */
  readonly layers: readonly DiagramLayer[];
  /** Parents before children, in order of first appearance. */
  readonly scopes: readonly DiagramScope[];
}

/** A positioned box: one layer, or a collapsed scope standing for all its layers. */
export interface LaidBox {
  /** `n:<id>` for a layer, `s:<path>` for a collapsed scope. */
  readonly key: string;
  readonly kind: 'layer' | 'scope';
  /** The IR name of a layer, or the scope's path. */
  readonly name: string;
  /** A layer's op text (`conv 64 3x3`); '' for a scope. */
  readonly op: string;
  /** Centre, width and height, as dagre reports them. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The text lines drawn in the box. */
  readonly lines: readonly string[];
  readonly frozen: 'all' | 'some' | 'none';
  /** The expanded scope the box sits in ('' at the top level). */
  readonly cluster: string;
  readonly details: readonly string[];
}

export interface LaidCluster {
  readonly path: string;
  readonly parent: string;
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The label drawn at its top left, shortened to fit the cluster's width. */
  readonly label: string;
  readonly details: readonly string[];
}

export interface LaidEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly LaidBox[];
  readonly clusters: readonly LaidCluster[];
  readonly edges: readonly LaidEdge[];
}
