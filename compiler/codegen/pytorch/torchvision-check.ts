/**
 * torchvision module names for a graph (`--names torchvision`, and the CNNC_TORCHVISION map every
 * emitted class carries), and the check that the names are faithful: a torchvision state dict loads
 * into the module by name and shape whatever the arithmetic, so the model must also compute what
 * torchvision's does. Two differences are known from the stdlib and Keras imports:
 *   - Keras padding: an uneven zero padding or `same` padding before a strided convolution
 *     (MobileNetV2's Conv1_pad …): torchvision pads evenly (CNN6002, an error);
 *   - batch-norm epsilon other than torchvision's (1e-5; GoogLeNet 1e-3): the weights load, but every
 *     output differs slightly (CNN6003, a warning).
 * Layers the family does not know keep cnnc's names (CNN6004, a warning), and a model no family
 * knows cannot take torchvision names (CNN6001).
 */
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Graph, Node } from '../../ir/graph.js';
import { resolvePadding } from '../../sema/conv-math.js';
import { SymbolEnv } from '../../sema/dim.js';
import {
  TORCHVISION_BN_EPS,
  TORCHVISION_FAMILIES,
  TORCHVISION_TABLES,
  type TorchvisionFamily,
} from './torchvision-names.js';

export interface TorchvisionNames {
  readonly family: TorchvisionFamily | null;
  /** IR node name → torchvision module path, for the weighted nodes the family knows. */
  readonly paths: ReadonlyMap<string, string>;
}

/** The family whose table names the most weighted nodes of the graph (none when none names any). */
export function torchvisionNames(graph: Graph): TorchvisionNames {
  let best: TorchvisionNames = { family: null, paths: new Map() };
  for (const family of TORCHVISION_FAMILIES) {
    const table = TORCHVISION_TABLES[family](graph);
    const paths = new Map(
      graph.nodes
        .filter((n) => n.weights?.length && table.has(n.name))
        .map((n) => [n.name, table.get(n.name)!]),
    );
    if (paths.size > best.paths.size) best = { family, paths };
  }
  return best;
}

/** Uneven padding: Keras's (0, 1, 0, 1) zero padding, or a `same` that pads one side more. */
function unevenPadding(graph: Graph, node: Node): boolean {
  if (node.op === 'zero_pad') {
    const p = node.attrs.pads;
    return p.some((v, i) => i % 2 === 0 && v !== p[i + 1]);
  }
  let window: { kernel: readonly number[]; stride: readonly number[]; dilation: readonly number[] };
  if (node.op === 'conv2d' || node.op === 'depthwise_conv2d') window = node.attrs;
  else if (node.op === 'max_pool' || node.op === 'avg_pool')
    window = { ...node.attrs, dilation: node.attrs.kernel.map(() => 1) };
  else return false;
  const input = graph.nodes[node.inputs[0]].shape ?? [];
  const env = new SymbolEnv();
  return window.kernel.some((k, i) => {
    const w = { kernel: k, stride: window.stride[i], dilation: window.dilation[i] };
    const p = resolvePadding(node.attrs.padding, i, input[i] ?? null, w, env).value;
    return p.before !== p.after;
  });
}

/** The diagnostics of giving `graph` torchvision's names. */
export function checkTorchvisionNames(graph: Graph, names: TorchvisionNames): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!names.family) {
    out.push(
      diag('CNN6001', `no torchvision model has the layers of ${graph.model}`, {
        span: graph.span,
        spanLabel: 'no layer maps to a torchvision module',
        notes: [
          'torchvision names are known for the stdlib ResNets, wide ResNets, ResNeXts, VGGs, ' +
            'AlexNet, MobileNetV2s, GoogLeNet, Inception v3, DenseNets and SqueezeNets ' +
            '(and models derived from them)',
        ],
        help: 'emit with cnnc names (leave out --names torchvision)',
      }),
    );
    return out;
  }
  const uneven = graph.nodes.filter((n) => unevenPadding(graph, n));
  if (uneven.length) {
    out.push(
      diag(
        'CNN6002',
        `${graph.model} pads unevenly, as Keras does; torchvision's ${names.family} pads every side ` +
          'the same, so its weights would compute something else',
        {
          span: uneven[0].span,
          spanLabel: 'uneven padding',
          notes: [
            `${uneven.length === 1 ? '1 layer pads' : `${uneven.length} layers pad`} unevenly: ` +
              uneven
                .slice(0, 5)
                .map((n) => n.name)
                .join(', ') +
              (uneven.length > 5 ? ', …' : ''),
          ],
          help: 'derive a model that pads evenly (`replace Conv1_pad { zeropad 1 }`), or emit with cnnc names',
        },
      ),
    );
  }
  const tvEps = TORCHVISION_BN_EPS[names.family];
  const eps = graph.nodes.filter(
    (n) => n.op === 'batch_norm' && names.paths.has(n.name) && n.attrs.epsilon !== tvEps,
  );
  if (eps.length) {
    const first = eps[0] as Node & { op: 'batch_norm' };
    out.push(
      diag(
        'CNN6003',
        `batch norm eps ${first.attrs.epsilon} differs from torchvision's ${tvEps}: torchvision's ` +
          'weights load, but the outputs differ from its model slightly',
        {
          span: first.span,
          spanLabel: `eps ${first.attrs.epsilon}`,
          notes: [`${eps.length} batch norm${eps.length === 1 ? '' : 's'} with another eps`],
        },
      ),
    );
  }
  const unnamed = graph.nodes.filter((n) => n.weights?.length && !names.paths.has(n.name));
  if (unnamed.length) {
    out.push(
      diag(
        'CNN6004',
        `${unnamed.length} layer${unnamed.length === 1 ? ' has' : 's have'} no torchvision name ` +
          `and keep${unnamed.length === 1 ? 's' : ''} cnnc's`,
        {
          span: unnamed[0].span,
          spanLabel: `\`${unnamed[0].name}\` keeps its name`,
          notes: [
            `not in torchvision's ${names.family}: ` +
              unnamed
                .slice(0, 5)
                .map((n) => n.name)
                .join(', ') +
              (unnamed.length > 5 ? ', …' : ''),
          ],
          help: "load torchvision's state dict with strict=False, or train these layers",
        },
      ),
    );
  }
  return out;
}
