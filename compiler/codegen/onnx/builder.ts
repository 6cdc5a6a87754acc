/**
 * Builds the plain-object form of an ONNX GraphProto (what protobufjs's `fromObject` reads): nodes
 * in order, initializers, and one namespace for values and one for nodes, each a Namer so that two
 * IR names never meet in one ONNX name (any string is a legal ONNX name, so names are kept as
 * they are and only told apart by `_2`, `_3`, …).
 */
import { Namer } from '../names.js';

/** TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT64 = 7;

export type AttrValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly string: string };

export interface OnnxAttribute {
  readonly name: string;
  readonly type: 'INT' | 'INTS' | 'FLOAT' | 'FLOATS' | 'STRING';
  readonly i?: number;
  readonly ints?: readonly number[];
  readonly f?: number;
  readonly floats?: readonly number[];
  readonly s?: Uint8Array;
}

export interface OnnxNode {
  readonly name: string;
  readonly op_type: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly OnnxAttribute[];
}

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data_type: number;
  /** The values, or none when they are stored as external data. */
  readonly raw_data?: Uint8Array;
  readonly data_location?: 'EXTERNAL';
  readonly external_data?: readonly { readonly key: string; readonly value: string }[];
}

/**
 * A weight stored as external data: its bytes at `offset` of the external file. `bytes` makes
 * them when called (permuting the weight), so that a caller writes one weight at a time and one
 * that needs only the graph makes none.
 */
export interface ExternalChunk {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  bytes(): Uint8Array;
}

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if ('int' in v) return { name, type: 'INT', i: v.int };
  if ('ints' in v) return { name, type: 'INTS', ints: v.ints };
  if ('float' in v) return { name, type: 'FLOAT', f: v.float };
  if ('floats' in v) return { name, type: 'FLOATS', floats: v.floats };
  return { name, type: 'STRING', s: new TextEncoder().encode(v.string) };
}

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** Float32 values as ONNX raw_data: IEEE 754, little-endian, whatever the host's byte order. */
export function floatBytes(data: Float32Array): Uint8Array {
  // A copy of the array's own bytes where the host is little-endian (every host Node runs on in
  // practice): a memcpy rather than a loop, which matters for a 100-million-weight layer.
  if (LITTLE_ENDIAN)
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** The weights stored as external data, in file order. */
  readonly external: ExternalChunk[] = [];
  private externalBytes = 0;

  /** `externalData`: the file (relative to the model's folder) weights go to; inline when absent. */
  constructor(private readonly externalData?: string) {}
  private readonly values = new Namer((s) => s);
  private readonly nodeNames = new Namer((s) => s);
  /** Constants by content, so a repeated constant (a Pad's pads, Clip's bounds) is stored once. */
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** Reserves a value name (a graph input or output) so that nothing else takes it. */
  claimValue(name: string): void {
    this.values.claim(name);
  }

  /**
   * Adds a node named `name` (made unique) and returns its output value: `output` when given
   * (already claimed or fresh), else a fresh value named after the node.
   */
  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue | undefined>> = {},
    output?: string,
  ): string {
    const nodeName = this.nodeNames.name(name, `${name}\0${this.nodes.length}`);
    const out = output ?? this.freshValue(name);
    this.nodes.push({
      name: nodeName,
      op_type: opType,
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs)
        .filter((e): e is [string, AttrValue] => e[1] !== undefined)
        .map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A value name no one has: `wanted`, else `wanted_2`, `wanted_3`, … */
  freshValue(wanted: string): string {
    return this.values.name(wanted, `\0fresh\0${this.counter++}`);
  }

  /** A float32 initializer named `name` (made unique); returns its value name. */
  /**
   * A weight: inline, or with `externalData` stored in that file after the weights before it
   * (`values` is called when the bytes are needed).
   */
  weightTensor(name: string, dims: readonly number[], values: () => Float32Array): string {
    if (this.externalData === undefined) return this.floatTensor(name, dims, values());
    const n = this.freshValue(name);
    const length = dims.reduce((a, b) => a * b, 1) * 4;
    const offset = this.externalBytes;
    this.externalBytes += length;
    this.initializers.push({
      name: n,
      dims,
      data_type: FLOAT,
      data_location: 'EXTERNAL',
      external_data: [
        { key: 'location', value: this.externalData },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    this.external.push({ name: n, offset, length, bytes: () => floatBytes(values()) });
    return n;
  }

  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    const n = this.freshValue(name);
    this.initializers.push({ name: n, dims, data_type: FLOAT, raw_data: floatBytes(data) });
    return n;
  }

  /** A shared int64 constant (a shape, pads, axes), named after its first use. */
  int64Const(name: string, values: readonly number[], dims = [values.length]): string {
    const key = `i64:${dims.join(',')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const n = this.freshValue(name);
    this.initializers.push({ name: n, dims, data_type: INT64, raw_data: int64Bytes(values) });
    this.constants.set(key, n);
    return n;
  }

  /** A shared float32 scalar constant (Clip's bounds, Pow's exponent). */
  floatScalar(name: string, value: number): string {
    const key = `f32:${Object.is(value, -0) ? '-0' : String(value)}`;
    const known = this.constants.get(key);
    if (known) return known;
    const n = this.freshValue(name);
    this.initializers.push({
      name: n,
      dims: [],
      data_type: FLOAT,
      raw_data: floatBytes(Float32Array.of(value)),
    });
    this.constants.set(key, n);
    return n;
  }
}
