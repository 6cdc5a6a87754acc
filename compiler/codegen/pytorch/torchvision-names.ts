/**
 * torchvision's module names for the stdlib's ResNets (wide ResNets and ResNeXts included), VGGs,
 * AlexNet, MobileNetV2 (both), GoogLeNet, Inception v3, DenseNets and SqueezeNets: pure data
 * shared by the weights mapping (runtime/weights/torchvision.ts, `--map torchvision`) and the
 * PyTorch code generator (`--names torchvision`).
 *
 * Each cnnc node with weights has a torchvision module path (the tables below), and each weight a
 * parameter of that module (PARAM_NAMES):
 *   conv, dense        kernel → weight, bias → bias (depthwise_kernel → weight)
 *   batch norm         gamma → weight, beta → bias, moving_mean → running_mean,
 *                      moving_variance → running_var; num_batches_tracked has no cnnc weight
 */
import type { Graph, Node } from '../../ir/graph.js';

export type TorchvisionFamily =
  | 'resnet'
  | 'vgg-alexnet'
  | 'mobilenet_v2'
  | 'googlenet'
  | 'inception_v3'
  | 'densenet'
  | 'squeezenet';

/**
 * In the order a tie is settled: the first family that names the most weighted nodes wins. VGG's
 * and AlexNet's table names every layer under `features.` and `classifier.`, so it also names all
 * of SqueezeNet's and the torchvision-style MobileNetV2's (wrongly): the families whose rules
 * know the layers come before it.
 */
export const TORCHVISION_FAMILIES: readonly TorchvisionFamily[] = [
  'resnet',
  'mobilenet_v2',
  'densenet',
  'squeezenet',
  'vgg-alexnet',
  'googlenet',
  'inception_v3',
];

/** The batch-norm epsilon of each family's torchvision modules (not part of a state dict). */
export const TORCHVISION_BN_EPS: Readonly<Record<TorchvisionFamily, number>> = {
  resnet: 1e-5,
  'vgg-alexnet': 1e-5,
  mobilenet_v2: 1e-5,
  googlenet: 1e-3,
  inception_v3: 1e-3,
  densenet: 1e-5,
  squeezenet: 1e-5,
};

/** cnnc node name → torchvision module path, for the nodes of a graph that a family knows. */
export type ModuleTable = (graph: Graph) => Map<string, string>;

type Rule = readonly [RegExp, string | ((...groups: string[]) => string)];

const RESNET_RULES: readonly Rule[] = [
  [/^stem\.(conv1|bn1)$/, '$1'],
  [/^stage(\d+)\.(\d+)\.shortcut\.conv$/, 'layer$1.$2.downsample.0'],
  [/^stage(\d+)\.(\d+)\.shortcut\.bn$/, 'layer$1.$2.downsample.1'],
  [/^stage(\d+)\.(\d+)\.((?:conv|bn)\d)$/, 'layer$1.$2.$3'],
  [/^head\.fc$/, 'fc'],
];

/**
 * The stdlib MobileNetV2 has Keras's layer names; torchvision's `features` holds the stem conv
 * (0), the first block without expansion (1: `expanded_conv`), Keras's block_N as N + 1, and the
 * last 1x1 conv (18); a block's `conv` is [expand conv+BN, depthwise conv+BN, project, BN].
 */
const MOBILENET_RULES: readonly Rule[] = [
  [/^Conv1$/, 'features.0.0'],
  [/^bn_Conv1$/, 'features.0.1'],
  [/^expanded_conv_depthwise$/, 'features.1.conv.0.0'],
  [/^expanded_conv_depthwise_BN$/, 'features.1.conv.0.1'],
  [/^expanded_conv_project$/, 'features.1.conv.1'],
  [/^expanded_conv_project_BN$/, 'features.1.conv.2'],
  [
    /^block_(\d+)_(expand|depthwise|project)(_BN)?$/,
    (_, n, layer, bn) => {
      const at = { expand: ['0.0', '0.1'], depthwise: ['1.0', '1.1'], project: ['2', '3'] }[layer]!;
      return `features.${Number(n) + 1}.conv.${at[bn ? 1 : 0]}`;
    },
  ],
  [/^Conv_1$/, 'features.18.0'],
  [/^Conv_1_bn$/, 'features.18.1'],
  [/^predictions$/, 'classifier.1'],
  // MobileNetV2_Torchvision: torchvision's structure under names; block1 has no expansion.
  [/^features\.stem\.(conv|bn)$/, (_, l) => `features.0.${l === 'conv' ? 0 : 1}`],
  [
    /^features\.block1\.depthwise\.(conv|bn)$/,
    (_, l) => `features.1.conv.0.${l === 'conv' ? 0 : 1}`,
  ],
  [/^features\.block1\.project$/, 'features.1.conv.1'],
  [/^features\.block1\.project_bn$/, 'features.1.conv.2'],
  [
    /^features\.block(\d+)\.(expand|depthwise)\.(conv|bn)$/,
    (_, n, layer, l) => `features.${n}.conv.${layer === 'expand' ? 0 : 1}.${l === 'conv' ? 0 : 1}`,
  ],
  [/^features\.block(\d+)\.project$/, 'features.$1.conv.2'],
  [/^features\.block(\d+)\.project_bn$/, 'features.$1.conv.3'],
  [/^features\.head\.(conv|bn)$/, (_, l) => `features.18.${l === 'conv' ? 0 : 1}`],
  [/^classifier\.fc$/, 'classifier.1'],
];

/**
 * torchvision's GoogLeNet (aux_logits=False): BasicConv2d modules `conv` and `bn`; an inception
 * module's branches 2 and 3 are Sequentials of two, branch 4 a max pool then one; cnnc's stdlib
 * GoogLeNet names the same layers after their role (`reduce`, `conv3x3`, `proj`).
 */
const GOOGLENET_RULES: readonly Rule[] = [
  [/^stem\.(conv[123])\.(conv|bn)$/, '$1.$2'],
  [/^(inception\w+)\.branch1\.conv1x1\.(conv|bn)$/, '$1.branch1.$2'],
  [/^(inception\w+)\.(branch[23])\.reduce\.(conv|bn)$/, '$1.$2.0.$3'],
  [/^(inception\w+)\.branch2\.conv3x3\.(conv|bn)$/, '$1.branch2.1.$2'],
  [/^(inception\w+)\.branch3\.conv5x5\.(conv|bn)$/, '$1.branch3.1.$2'],
  [/^(inception\w+)\.branch4\.proj\.(conv|bn)$/, '$1.branch4.1.$2'],
  [/^head\.fc$/, 'fc'],
];

/**
 * torchvision's Inception v3: the stdlib model names its layers as torchvision names its modules;
 * inside a mixed module cnnc's concat branches (`branch2`, and the inner concats of Mixed_7b/7c)
 * are scopes that torchvision's flat attributes do not have. InceptionV3Aux's auxiliary
 * classifier is the block call `AuxLogits` in the head of the output `aux` (aux_logits=True).
 */
const INCEPTION_V3_RULES: readonly Rule[] = [
  [/^(Conv2d_\w+)\.(conv|bn)$/, '$1.$2'],
  [/^(Mixed_\w+)\.(?:\w+\.)*(branch\w+)\.(conv|bn)$/, '$1.$2.$3'],
  [/^fc$/, 'fc'],
  [/^aux\.AuxLogits\.(conv[01])\.(conv|bn)$/, 'AuxLogits.$1.$2'],
  [/^aux\.AuxLogits\.fc$/, 'AuxLogits.fc'],
];

/**
 * torchvision's DenseNet: `features` holds conv0/norm0, denseblockN.denselayerK (K from 1) and
 * transitionN; cnnc's stem is a block call, and a dense layer is the K−1-th call of its block,
 * whose new features are the second branch of a concat.
 */
const DENSENET_RULES: readonly Rule[] = [
  [/^features\.stem\.(conv0|norm0)$/, 'features.$1'],
  [
    /^features\.denseblock(\d+)\.(\d+)\.branch2\.(norm1|conv1|norm2|conv2)$/,
    (_, b, k, layer) => `features.denseblock${b}.denselayer${Number(k) + 1}.${layer}`,
  ],
  [/^features\.transition(\d+)\.(norm|conv)$/, 'features.transition$1.$2'],
  [/^features\.norm5$/, 'features.norm5'],
  [/^classifier$/, 'classifier'],
];

function byRules(rules: readonly Rule[]): ModuleTable {
  return (graph) => {
    const out = new Map<string, string>();
    for (const n of graph.nodes) {
      const rule = rules.find(([re]) => re.test(n.name));
      if (!rule) continue;
      const [re, to] = rule;
      out.set(
        n.name,
        typeof to === 'string' ? n.name.replace(re, to) : to(...(re.exec(n.name) ?? [])),
      );
    }
    return out;
  };
}

/**
 * torchvision's VGG and AlexNet are two nn.Sequential, `features` and `classifier`, with one module
 * per layer; cnnc's `features.*` and `classifier.*` nodes are the same layers in the same order,
 * except that VGG's head block also holds the adaptive pool and flatten, which torchvision keeps
 * outside its classifier.
 */
const sequential: ModuleTable = (graph) => {
  const out = new Map<string, string>();
  for (const group of ['features', 'classifier']) {
    let k = 0;
    for (const n of graph.nodes) {
      if (!n.name.startsWith(`${group}.`)) continue;
      if (n.op === 'flatten' || n.op === 'adaptive_avg_pool' || n.op === 'adaptive_max_pool')
        continue;
      out.set(n.name, `${group}.${k++}`);
    }
  }
  return out;
};

/**
 * torchvision's SqueezeNet: `features` and `classifier` are nn.Sequential whose children are
 * cnnc's layers and fire modules one for one (`features.relu1` is child 1, `features.fire2` child
 * 3); a fire module's convolutions are its attributes `squeeze`, `expand1x1` and `expand3x3`.
 */
const squeezenet: ModuleTable = (graph) => {
  const out = new Map<string, string>();
  for (const group of ['features', 'classifier']) {
    const children: string[] = [];
    for (const n of graph.nodes) {
      if (!n.name.startsWith(`${group}.`)) continue;
      const child = n.name.split('.')[1];
      if (!children.includes(child)) children.push(child);
      const at = `${group}.${children.indexOf(child)}`;
      const fire = /^\w+\.fire\d+\.(?:\w+\.)*(squeeze|expand1x1|expand3x3)$/.exec(n.name);
      if (fire) out.set(n.name, `${at}.${fire[1]}`);
      else if (n.name === 'features.conv1' || n.name === 'classifier.conv10') out.set(n.name, at);
    }
  }
  return out;
};

export const TORCHVISION_TABLES: Readonly<Record<TorchvisionFamily, ModuleTable>> = {
  resnet: byRules(RESNET_RULES),
  'vgg-alexnet': sequential,
  mobilenet_v2: byRules(MOBILENET_RULES),
  googlenet: byRules(GOOGLENET_RULES),
  inception_v3: byRules(INCEPTION_V3_RULES),
  densenet: byRules(DENSENET_RULES),
  squeezenet,
};

/** cnnc weight name → the torchvision (PyTorch) parameter or buffer name. */
export const PARAM_NAMES: Readonly<Record<string, string>> = {
  kernel: 'weight',
  depthwise_kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/**
 * The H×W×C map a dense layer's flatten reads (through dropouts and activations), when it has more
 * than one position: PyTorch flattens it C·H·W, cnnc H·W·C.
 */
export function flattenedMap(graph: Graph, node: Node): readonly [number, number, number] | null {
  let n = graph.nodes[node.inputs[0]];
  while (n && (n.op === 'dropout' || n.op === 'activation')) n = graph.nodes[n.inputs[0]];
  if (n?.op !== 'flatten') return null;
  const s = graph.nodes[n.inputs[0]]?.shape;
  if (!s || s.length !== 3 || !s.every((d) => typeof d === 'number')) return null;
  const [h, w, c] = s as number[];
  return h * w > 1 ? [h, w, c] : null;
}
