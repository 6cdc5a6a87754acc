/** A short description of a node's op and key attributes for tables: `conv 64 7x7 /2 pad 3`. */
import type { Node } from '../ir/graph.js';
import type { Padding } from '../ir/ops.js';

function pad(p: Padding): string {
  switch (p.mode) {
    case 'valid':
      return '';
    case 'same':
    case 'full':
      return ` ${p.mode}`;
    case 'explicit':
      return p.pads.every((v) => v === 0)
        ? ''
        : p.pads.every((v) => v === p.pads[0])
          ? ` pad ${p.pads[0]}`
          : ` pad (${p.pads.join(', ')})`;
  }
}

const size = (xs: readonly number[]) => xs.join('x');
const stride = (xs: readonly number[]) =>
  xs.every((x) => x === 1) ? '' : ` /${xs.every((x) => x === xs[0]) ? xs[0] : xs.join('x')}`;

export function opDetail(n: Node): string {
  switch (n.op) {
    case 'input':
      return 'input';
    case 'conv2d':
    case 'conv1d':
      return `${n.op === 'conv2d' ? 'conv' : 'conv1d'} ${n.attrs.filters} ${size(n.attrs.kernel)}${stride(n.attrs.stride)}${pad(n.attrs.padding)}${n.attrs.groups > 1 ? ` groups ${n.attrs.groups}` : ''}${n.attrs.dilation.some((d) => d > 1) ? ` dilation ${size(n.attrs.dilation)}` : ''}`;
    case 'depthwise_conv2d':
      return `dwconv ${size(n.attrs.kernel)}${stride(n.attrs.stride)}${pad(n.attrs.padding)}`;
    case 'conv2d_transpose':
      return `deconv ${n.attrs.filters} ${size(n.attrs.kernel)}${stride(n.attrs.stride)}${pad(n.attrs.padding)}`;
    case 'max_pool':
    case 'avg_pool':
      return `${n.op === 'max_pool' ? 'maxpool' : 'avgpool'} ${size(n.attrs.kernel)}${stride(n.attrs.stride)}${pad(n.attrs.padding)}${n.attrs.ceil ? ' ceil' : ''}`;
    case 'global_avg_pool':
      return 'gap';
    case 'global_max_pool':
      return 'gmp';
    case 'adaptive_avg_pool':
    case 'adaptive_max_pool':
      return `${n.op === 'adaptive_avg_pool' ? 'adaptiveavgpool' : 'adaptivemaxpool'} ${size(n.attrs.output)}`;
    case 'dense':
      return `dense ${n.attrs.units}`;
    case 'reshape':
      return `reshape ${size(n.attrs.shape)}`;
    case 'zero_pad':
      return `zeropad (${n.attrs.pads.join(', ')})`;
    case 'upsample': {
      const a = n.attrs;
      const scale = a.scale ?? [];
      const how = a.size
        ? `to ${size(a.size)}`
        : scale.every((f) => f === scale[0])
          ? String(scale[0])
          : size(scale);
      return `upsample ${how}${a.mode === 'bilinear' ? ' bilinear' : ''}`;
    }
    case 'dropout':
      return `dropout ${n.attrs.rate}`;
    case 'batch_norm':
      return 'bn';
    case 'lrn':
      return `lrn ${n.attrs.size}`;
    case 'activation':
      return n.attrs.fn;
    case 'yolo':
      return n.attrs.anchors.length
        ? `yolo ${n.attrs.classes} anchors ${n.attrs.anchors.map((a) => a.join('x')).join(' ')}`
        : `yolo ${n.attrs.classes} boxes ${n.attrs.boxes}`;
    case 'flatten':
    case 'add':
    case 'multiply':
    case 'concat':
    case 'highway':
      return n.op;
  }
}
