/**
 * Checks of a yolo head against the whole model, run once shapes and strides are known (the shape
 * rule sees only the head's input):
 *
 *   CNN2121  the head must be a model output that nothing else reads (one head per output; several
 *            outputs, one head per scale, join when the language has several outputs)
 *   CNN3102  the image size must be fixed: the grid is tied to it
 *   CNN3101  the grid must tile the image at the backbone's stride: S·stride = image size, and a
 *            declared `stride N` must be the stride the layers before the head produce
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';

export function checkDetectionGrids(graph: Graph, nodes: readonly Node[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const heads = nodes.filter((n) => n.op === 'yolo');
  if (heads.length === 0) return out;
  const input = nodes.find((n) => n.op === 'input');
  for (const head of heads) {
    if (head.op !== 'yolo' || !head.shape) continue;
    const readers = nodes.filter((n) => n.inputs.includes(head.id));
    if (readers.length > 0 || !graph.outputs.includes(head.id)) {
      out.push(
        diag('CNN2121', 'a yolo head must be the model output', {
          span: head.span,
          spanLabel: 'the head is read by later layers',
          labels: readers.slice(0, 1).map((r) => ({ span: r.span, message: 'read here' })),
          help: 'move the yolo head to the end of the model',
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
