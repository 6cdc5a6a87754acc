/**
 * Checks of the yolo heads against the whole model, run once shapes and strides are known (the shape
 * rule sees only the head's input):
 *
 *   CNN2121  each head must be a model output that nothing else reads; a multi-scale detector has
 *            one head per output (`output NAME { … yolo … }`)
 *   CNN2137  a detector's outputs must all be yolo heads: a head beside a classifier output is
 *            refused (the two train on different data)
 *   CNN3103  the heads of one model must agree on the class count and the box style (v1 boxes per
 *            cell, or anchors): truths are assigned over all heads' slots
 *   CNN3102  the image size must be fixed: the grid is tied to it
 *   CNN3101  the grid must tile the image at the backbone's stride: S·stride = image size, and a
 *            declared `stride N` must be the stride the layers before the head produce
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import type { YoloAttrs } from '../ir/ops.js';
import { namedOutputs } from './outputs.js';

export function checkDetectionGrids(graph: Graph, nodes: readonly Node[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const heads = nodes.filter((n) => n.op === 'yolo');
  if (heads.length === 0) return out;
  const input = nodes.find((n) => n.op === 'input');
  out.push(...checkHeadsAgree(graph, nodes));
  for (const head of heads) {
    if (head.op !== 'yolo' || !head.shape) continue;
    const readers = nodes.filter((n) => n.inputs.includes(head.id));
    if (readers.length > 0 || !graph.outputs.includes(head.id)) {
      out.push(
        diag('CNN2121', 'a yolo head must be a model output that nothing else reads', {
          span: head.span,
          spanLabel:
            readers.length > 0 ? 'the head is read by later layers' : 'not an output of the model',
          labels: readers.slice(0, 1).map((r) => ({ span: r.span, message: 'read here' })),
          help: 'move the yolo head to the end of the model, or into an `output NAME { … }` block (one head per scale)',
        }),
      );
      continue;
    }
    const image = input?.shape;
    if (!input || !image || image.length !== 3) continue;
    const [H, W] = image;
    const [S1, S2] = head.shape;
    if (
      typeof H !== 'number' ||
      typeof W !== 'number' ||
      typeof S1 !== 'number' ||
      typeof S2 !== 'number'
    ) {
      out.push(
        diag('CNN3102', 'a yolo head needs a fixed image size', {
          span: head.span,
          spanLabel: 'grid size depends on the image size',
          labels: [{ span: input.span, message: 'the input size is symbolic here' }],
          help: 'give the input a fixed size, e.g. `input 96x96x3`',
        }),
      );
      continue;
    }
    const jump = head.rf?.jump ?? [];
    const [jh, jw] = [jump[0] ?? 0, jump[1] ?? 0];
    const declared = head.attrs.stride;
    const notes: string[] = [];
    if (jh * S1 !== H || jw * S2 !== W)
      notes.push(
        `the layers before the head have stride ${jh}x${jw}: ${S1}·${jh} = ${S1 * jh} and ${S2}·${jw} = ${S2 * jw}, but the image is ${H}x${W}`,
      );
    if (declared > 0 && (H / declared !== S1 || W / declared !== S2))
      notes.push(
        `declared stride ${declared}: ${H}/${declared} = ${+(H / declared).toFixed(3)} and ${W}/${declared} = ${+(W / declared).toFixed(3)}, but the grid is ${S1}x${S2}`,
      );
    if (notes.length === 0) continue;
    const fits = [1, 2, 4, 8, 16, 32, 64].filter((s) => H % s === 0 && W % s === 0);
    out.push(
      diag('CNN3101', `the ${S1}x${S2} grid of the yolo head does not tile the ${H}x${W} image`, {
        span: head.span,
        spanLabel: `grid ${S1}x${S2}`,
        labels: [{ span: input.span, message: `image ${H}x${W}` }],
        notes,
        help:
          declared > 0 && jh * S1 === H && jw * S2 === W
            ? `declare \`stride ${jh}\``
            : `use an image size that the stride divides (strides ${fits.join(', ')} divide ${H}x${W}), or padding \`same\` so each stage halves the size exactly`,
      }),
    );
  }
  return out;
}

/** How a head predicts boxes, with its channel arithmetic: `3 anchors: 3·(5 + 2) = 21 channels`. */
function headLayout(a: YoloAttrs): string {
  return a.anchors.length
    ? `${a.anchors.length} anchor${a.anchors.length === 1 ? '' : 's'}: ${a.anchors.length}·(5 + ${a.classes}) = ${a.anchors.length * (5 + a.classes)} channels`
    : `${a.boxes} box${a.boxes === 1 ? '' : 'es'} per cell (v1): ${a.boxes}·5 + ${a.classes} = ${a.boxes * 5 + a.classes} channels`;
}

/**
 * CNN2137 (a detector's output that is not a yolo head) and CNN3103 (heads that disagree on the
 * class count or the box style), against the first head among the outputs.
 */
function checkHeadsAgree(graph: Graph, nodes: readonly Node[]): Diagnostic[] {
  const outputs = namedOutputs(graph).map((o) => ({ ...o, node: nodes[o.id] }));
  const heads = outputs.filter((o) => o.node?.op === 'yolo');
  if (heads.length === 0) return [];
  const first = heads[0];
  const fa = first.node.attrs as YoloAttrs;
  const out: Diagnostic[] = [];
  for (const o of outputs) {
    if (!o.node || o.node.op === 'yolo') continue;
    out.push(
      diag('CNN2137', `the output \`${o.name}\` is not a yolo head, but \`${first.name}\` is`, {
        span: o.node.span,
        spanLabel: `the output \`${o.name}\``,
        labels: [{ span: first.node.span, message: `\`${first.name}\` is a yolo head` }],
        notes: [
          'a detector trains every output with the yolo loss on boxes, so each output must be a yolo head (one per scale)',
        ],
        help: `end \`${o.name}\` in a yolo head, or move it to a model of its own`,
      }),
    );
  }
  for (const h of heads.slice(1)) {
    const a = h.node.attrs as YoloAttrs;
    const style = (x: YoloAttrs) => (x.anchors.length ? 'anchors' : 'boxes');
    if (a.classes === fa.classes && style(a) === style(fa)) continue;
    const what =
      a.classes !== fa.classes
        ? `\`${h.name}\` predicts ${a.classes} class${a.classes === 1 ? '' : 'es'}, \`${first.name}\` ${fa.classes}`
        : `\`${h.name}\` predicts ${a.anchors.length ? 'anchor boxes' : 'v1 boxes per cell'}, \`${first.name}\` ${fa.anchors.length ? 'anchor boxes' : 'v1 boxes per cell'}`;
    out.push(
      diag('CNN3103', `the yolo heads disagree: ${what}`, {
        span: h.node.span,
        spanLabel: `\`${h.name}\`: ${headLayout(a)}`,
        labels: [{ span: first.node.span, message: `\`${first.name}\`: ${headLayout(fa)}` }],
        notes: [
          'every ground-truth box is assigned to one slot over all heads, so the heads must share the classes and the box style',
        ],
        help:
          a.classes !== fa.classes
            ? `give \`${h.name}\` ${fa.classes} classes (its last conv then needs ${headLayout({ ...a, classes: fa.classes }).replace(/^.*= /, '')})`
            : `use ${fa.anchors.length ? '`anchors (…)`' : '`boxes N`'} on every head`,
      }),
    );
  }
  return out;
}
