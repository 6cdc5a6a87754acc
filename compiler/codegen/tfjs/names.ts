/**
 * TensorFlow.js layer names. A layer's weights are named `${layer}/${weight}`, and tfjs accepts a
 * weight name only when it matches /^[A-Za-z0-9][-A-Za-z0-9._/]*$/; a layer name must also hold no
 * `/` (it would read as a scope) and must not be a property of Object.prototype (`constructor`,
 * `toString`: tfjs keeps layers by name in plain objects, and deserialising such a model fails).
 *
 * So an IR name such as `stage2.0.conv1` is the layer's name as it is, and its weights keep cnnc's
 * names (`stage2.0.conv1/kernel`): a cnnc checkpoint loads by name. Other names are mangled by one
 * rule: characters outside [-A-Za-z0-9._] become `_`, a name that does not start with a letter or
 * digit gets the prefix `m`, an Object.prototype name gets the suffix `_`, a name longer than 64
 * characters is cut and given a hash, and a second name that mangles to a taken one gets `_2`, ….
 * The emitted model.ts lists every renamed layer, so weights.ts still finds its cnnc weights.
 */
import { cutLongName, Namer } from '../names.js';

/** Properties of Object.prototype (and of objects created by `{}`) that no layer may be named. */
export const OBJECT_PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
]);

const LAYER_NAME = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;
const MAX_NAME = 64;

/** The layer name rule of the header, without collisions. */
export function mangleLayerName(name: string): string {
  if (LAYER_NAME.test(name) && name.length <= MAX_NAME && !OBJECT_PROTOTYPE_NAMES.has(name))
    return name;
  let s = name.replace(/[^-A-Za-z0-9._]/gu, '_');
  if (!/^[A-Za-z0-9]/.test(s)) s = `m${s}`;
  s = cutLongName(s, name, MAX_NAME);
  while (OBJECT_PROTOTYPE_NAMES.has(s)) s = `${s}_`;
  return s;
}

/** Layer names of one model: the rule of the header, distinct. */
export class LayerNamer extends Namer {
  constructor() {
    super(mangleLayerName, OBJECT_PROTOTYPE_NAMES);
  }
}
