/**
 * The diagram engine: which boxes and clusters a collapse state shows, their layout (dagre, layered,
 * top to bottom, scopes as compound clusters) and the SVG text that draws them.
 *
 * `diagramEngine` is written to run in two places: here, for `cnnc diagram -o x.svg` and the HTML's
 * first picture, and in the browser, where the HTML diagram re-lays itself out when a scope is
 * collapsed or expanded. html.ts ships its source text (`diagramEngine.toString()`), so the function
 * must stay self-contained: no reference to anything outside its body but its two parameters (the
 * dagre library and the one escaping function) and erased types. test/diagram/engine.test.ts runs
 * the shipped text and checks it gives the same SVG.
 *
 * Text is measured, not rendered: the boxes use a monospace font at 12px (7.2px a character), so
 * widths are a function of the text alone and the output is the same on every machine.
 */
import type { DiagramModel, EdgeKind, LaidBox, LaidCluster, LaidEdge, Layout } from './types.js';

interface DagreNodeLabel {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The part of the dagre API the engine uses (the npm module and the browser global both fit). */
export interface DagreApi {
  readonly graphlib: {
    readonly Graph: new (opts: { compound: boolean }) => DagreGraph;
  };
  layout(g: DagreGraph, opts: { constraints: { left: string; right: string }[] }): unknown;
}

export interface DagreGraph {
  setGraph(label: Record<string, unknown>): unknown;
  setDefaultEdgeLabel(f: () => Record<string, unknown>): unknown;
  setNode(name: string, label: Record<string, unknown>): unknown;
  setParent(name: string, parent: string): unknown;
  setEdge(v: string, w: string, label: Record<string, unknown>): unknown;
  node(name: string): DagreNodeLabel;
  edge(v: string, w: string): { points: readonly { x: number; y: number }[] };
  graph(): { width?: number; height?: number };
  hasNode(name: string): boolean;
}

export interface DiagramEngine {
  /** The box key of every layer: its own (`n:<id>`) or its outermost collapsed scope's (`s:<path>`). */
  boxKeys(model: DiagramModel, collapsed: readonly string[]): string[];
  /** Lays out the model with the scopes in `collapsed` (and everything inside them) as one box each. */
  layout(model: DiagramModel, collapsed: readonly string[]): Layout;
  svg(model: DiagramModel, layout: Layout): string;
}

export function diagramEngine(dagre: DagreApi, escapeXml: (s: string) => string): DiagramEngine {
  const CHAR_W = 7.2;
  const LABEL_CHAR_W = 6.6;
  const LINE_H = 15;
  const PAD_X = 8;
  const PAD_Y = 6;
  const MIN_W = 72;
  const FILL: Record<string, string> = {
    conv: '#e3f0fc',
    pool: '#e6f4ea',
    dense: '#fdeede',
    norm: '#f1f1f4',
    merge: '#f0e7f8',
    other: '#ffffff',
  };
  const EDGE_COLOR: Record<EdgeKind, string> = {
    flow: '#4a5568',
    residual: '#c05621',
    concat: '#2b6cb0',
  };
  const CLUSTER_FILL = ['#f7f9fb', '#eef2f6', '#e5ebf1', '#dce4ec'];

  const num = (n: number) => String(Math.round(n * 10) / 10);
  const family = (op: string) => {
    const head = op.split(' ')[0];
    if (/conv/.test(head)) return 'conv';
    if (/pool|^gap$|^gmp$/.test(head)) return 'pool';
    if (head === 'dense') return 'dense';
    if (head === 'bn' || head === 'lrn' || head === 'dropout') return 'norm';
    if (head === 'add' || head === 'multiply' || head === 'concat') return 'merge';
    return 'other';
  };
  const shorten = (text: string, chars: number) =>
    text.length <= chars ? text : chars <= 1 ? '…' : `${text.slice(0, chars - 1)}…`;
  const relative = (name: string, cluster: string) =>
    cluster === '' ? name : name.slice(cluster.length + 1);
  const parentOf = (path: string) => {
    const dot = path.lastIndexOf('.');
    return dot < 0 ? '' : path.slice(0, dot);
  };

  /** The outermost collapsed scope around a path, or null when every enclosing scope is open. */
  function ownerIn(shut: ReadonlySet<string>, path: string): string | null {
    if (path === '') return null;
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('.');
      if (shut.has(p)) return p;
    }
    return null;
  }

  /** The box key of every layer: its own (`n:<id>`) or its outermost collapsed scope's (`s:<path>`). */
  function boxKeys(model: DiagramModel, collapsed: readonly string[]): string[] {
    const known = new Set(model.scopes.map((s) => s.path));
    const shut = new Set(collapsed.filter((p) => known.has(p)));
    return model.layers.map((l) => {
      const o = ownerIn(shut, l.scope);
      return o === null ? `n:${l.id}` : `s:${o}`;
    });
  }

  function layout(model: DiagramModel, collapsed: readonly string[]): Layout {
    const shut = new Set(collapsed);
    const scopeByPath = new Map(model.scopes.map((s) => [s.path, s]));
    const owner = (path: string) => ownerIn(shut, path);
    const itemOf = boxKeys(model, collapsed);

    const g = new dagre.graphlib.Graph({ compound: true });
    g.setGraph({ rankdir: 'TB', nodesep: 22, ranksep: 36, edgesep: 12, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    const openClusters = model.scopes.filter((s) => owner(s.path) === null);
    for (const s of openClusters) {
      g.setNode(`c:${s.path}`, {});
      if (s.parent !== '') g.setParent(`c:${s.path}`, `c:${s.parent}`);
    }

    const pending: Omit<LaidBox, 'x' | 'y'>[] = [];
    const seen = new Set<string>();
    const sized = (lines: readonly string[]) => ({
      width: Math.max(MIN_W, Math.max(...lines.map((t) => t.length)) * CHAR_W + 2 * PAD_X),
      height: lines.length * LINE_H + 2 * PAD_Y,
    });
    for (const l of model.layers) {
      const key = itemOf[l.id];
      if (seen.has(key)) continue;
      seen.add(key);
      if (key.startsWith('n:')) {
        const short = relative(l.name, l.scope);
        const lines = [
          l.frozen ? `${short} (frozen)` : short,
          ...(l.op === short ? [] : [l.op]),
          l.shape,
        ];
        pending.push({
          key,
          kind: 'layer',
          name: l.name,
          op: l.op,
          lines,
          frozen: l.frozen ? 'all' : 'none',
          cluster: l.scope,
          details: l.details,
          ...sized(lines),
        });
      } else {
        const s = scopeByPath.get(key.slice(2))!;
        const lines = [
          `+ ${relative(s.path, s.parent)}`,
          ...(s.call ? [s.call] : []),
          `${s.layers} layers${s.frozen === 'all' ? ', frozen' : s.frozen === 'some' ? ', partly frozen' : ''}`,
          s.shape,
        ];
        pending.push({
          key,
          kind: 'scope',
          name: s.path,
          op: '',
          lines,
          frozen: s.frozen,
          cluster: s.parent,
          details: s.details,
          ...sized(lines),
        });
      }
    }
    for (const b of pending) {
      g.setNode(b.key, { width: b.width, height: b.height });
      if (b.cluster !== '') g.setParent(b.key, `c:${b.cluster}`);
    }

    const edgeKinds = new Map<string, EdgeKind>();
    for (const l of model.layers) {
      const to = itemOf[l.id];
      for (const i of l.inputs) {
        const from = itemOf[i];
        if (from === to) continue;
        const k = `${from}\n${to}`;
        // Into a collapsed scope an edge is plain flow: the merge it feeds is hidden inside.
        const kind = to.startsWith('n:') ? l.edgeKind : 'flow';
        if (!edgeKinds.has(k) || edgeKinds.get(k) === 'flow') edgeKinds.set(k, kind);
      }
    }
    for (const k of edgeKinds.keys()) {
      const [from, to] = k.split('\n');
      g.setEdge(from, to, {});
    }

    // A concat's branches left to right in source order: the items that hold its inputs within
    // the concat's own cluster (a branch's cluster, or a layer). (Residual additions are left to
    // dagre: ordering a body and its shortcut this way widened ResNets to twice their width.)
    const constraints: { left: string; right: string }[] = [];
    for (const l of model.layers) {
      if (l.edgeKind !== 'concat' || itemOf[l.id] !== `n:${l.id}`) continue;
      const within = l.scope === '' ? '' : `${l.scope}.`;
      const holders: string[] = [];
      for (const i of l.inputs) {
        const key = itemOf[i];
        const name = key.startsWith('n:') ? model.layers[i].name : key.slice(2);
        if (!name.startsWith(within)) continue;
        const rest = name.slice(within.length);
        const holder = rest.includes('.') ? `c:${within}${rest.split('.')[0]}` : key;
        if (holder !== key && !g.hasNode(holder)) continue;
        if (!holders.includes(holder)) holders.push(holder);
      }
      for (let i = 1; i < holders.length; i++)
        constraints.push({ left: holders[i - 1], right: holders[i] });
    }

    dagre.layout(g, { constraints });

    const boxes: LaidBox[] = pending.map((b) => {
      const n = g.node(b.key);
      return { ...b, x: n.x, y: n.y };
    });
    const clusters: LaidCluster[] = openClusters.map((s) => {
      const n = g.node(`c:${s.path}`);
      // The call when it fits, else the name alone, shortened only if even that does not fit.
      const name = relative(s.path, s.parent);
      const room = Math.floor((n.width - 10) / LABEL_CHAR_W);
      const full = s.call ? `${name} · ${s.call}` : name;
      return {
        path: s.path,
        parent: s.parent,
        depth: s.depth,
        x: n.x,
        y: n.y,
        width: n.width,
        height: n.height,
        label: full.length <= room ? full : shorten(name, room),
        details: s.details,
      };
    });
    const edges: LaidEdge[] = [...edgeKinds].map(([k, kind]) => {
      const [from, to] = k.split('\n');
      return { from, to, kind, points: g.edge(from, to).points.map((p) => ({ x: p.x, y: p.y })) };
    });
    const size = g.graph();
    return { width: size.width ?? 0, height: size.height ?? 0, boxes, clusters, edges };
  }

  function svg(model: DiagramModel, lay: Layout): string {
    const e = escapeXml;
    const w = num(lay.width);
    const h = num(lay.height);
    const out: string[] = [];
    out.push(
      `<svg xmlns="http://www.w3.org/2000/svg" class="cnnc-diagram" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">`,
      `<title>${e(`${model.model} (${model.file})`)}</title>`,
      '<defs>',
    );
    for (const kind of ['flow', 'residual', 'concat'] as const) {
      out.push(
        `<marker id="cnnc-arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="${EDGE_COLOR[kind]}"/></marker>`,
      );
    }
    out.push('</defs>', `<rect width="${w}" height="${h}" fill="#ffffff"/>`);

    out.push('<g class="clusters">');
    for (const c of lay.clusters) {
      const x = c.x - c.width / 2;
      const y = c.y - c.height / 2;
      out.push(
        `<g class="cluster" data-scope="${e(c.path)}">`,
        `<title>${e(c.details.join('\n'))}</title>`,
        `<rect x="${num(x)}" y="${num(y)}" width="${num(c.width)}" height="${num(c.height)}" rx="6" fill="${CLUSTER_FILL[(c.depth - 1) % CLUSTER_FILL.length]}" stroke="#a0aec0"/>`,
        `<text x="${num(x + 6)}" y="${num(y + 13)}" font-size="11" fill="#2d3748">${e(c.label)}</text>`,
        '</g>',
      );
    }
    out.push('</g>', '<g class="edges" fill="none">');
    for (const ed of lay.edges) {
      const d = ed.points.map((p, i) => `${i ? 'L' : 'M'}${num(p.x)},${num(p.y)}`).join('');
      out.push(
        `<path class="edge ${ed.kind}" data-from="${e(ed.from)}" data-to="${e(ed.to)}" d="${d}" stroke="${EDGE_COLOR[ed.kind]}" stroke-width="${ed.kind === 'flow' ? 1.2 : 1.6}"${ed.kind === 'residual' ? ' stroke-dasharray="5,3"' : ''} marker-end="url(#cnnc-arrow-${ed.kind})"/>`,
      );
    }
    out.push('</g>', '<g class="boxes">');
    for (const b of lay.boxes) {
      const x = b.x - b.width / 2;
      const y = b.y - b.height / 2;
      const fill =
        b.kind === 'scope' ? '#e8edf3' : b.frozen === 'all' ? '#e2e8f0' : FILL[family(b.op)];
      const attrs = b.kind === 'scope' ? `data-scope="${e(b.name)}"` : `data-layer="${e(b.name)}"`;
      out.push(
        `<g class="box ${b.kind}${b.frozen === 'all' ? ' frozen' : ''}" data-key="${e(b.key)}" ${attrs}>`,
        `<title>${e(b.details.join('\n'))}</title>`,
        `<rect x="${num(x)}" y="${num(y)}" width="${num(b.width)}" height="${num(b.height)}" rx="${b.kind === 'scope' ? 8 : 3}" fill="${fill}" stroke="${b.frozen === 'all' ? '#718096' : '#4a5568'}" stroke-width="${b.kind === 'scope' ? 2 : 1}"${b.frozen === 'all' ? ' stroke-dasharray="4,2"' : ''}/>`,
      );
      b.lines.forEach((line, i) => {
        out.push(
          `<text x="${num(x + PAD_X)}" y="${num(y + PAD_Y + LINE_H * i + 11)}"${i === 0 ? ' font-weight="bold"' : ''} fill="#1a202c">${e(line)}</text>`,
        );
      });
      out.push('</g>');
    }
    out.push('</g>', '</svg>');
    return `${out.join('\n')}\n`;
  }

  return { boxKeys, layout, svg };
}
