/**
 * An ONNX ModelProto's bytes → the parts `cnnc import onnx` reads: the graph's one input and
 * output, its nodes with their attributes, and its initializers (values inline, or where an
 * external-data file holds them). Decoded with protobufjs through the vendored schema
 * (compiler/onnx/proto.ts). Pure: the caller reads the file, and external data is read by the CLI.
 *
 * A binary file has no text to point at, so the import writes a listing of the graph, one line per
 * value, initializer and node (`node /conv1/Conv: Conv[kernel_shape=[7, 7], …](input, conv1.weight)`),
 * and its diagnostics' spans are in that listing, shown under the .onnx file's name. Names from the
 * file reach it through cnnComment, so no control or text-direction character is printed.
 */
import { cnnComment } from '../codegen/cnn-text.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { onnxType } from '../onnx/proto.js';

/** More nodes or initializers than this is refused (CNN4020): ResNet-152 has about 500. */
export const MAX_ONNX_NODES = 100_000;
/** A tensor of more elements than this is refused (CNN4020): 2³¹ float32 values are 8 GiB. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

/** TensorProto.DataType values the import reads. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
const DT_NAMES: Readonly<Record<number, string>> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};
export const dtypeName = (t: number): string => DT_NAMES[t] ?? `type ${t}`;

export type TensorData =
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  | { readonly kind: 'values'; readonly values: readonly number[] }
  | {
      readonly kind: 'external';
      readonly location: string;
      readonly offset: number;
      /** Bytes to read; null: to the end of the file. */
      readonly length: number | null;
    };

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly data: TensorData;
  /** Its line in the listing. */
  readonly span: Span;
}

export type AttrValue =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly kind: 'other'; readonly value: string };

export interface OnnxAttr {
  readonly name: string;
  readonly value: AttrValue;
  /** `name=value` in the listing. */
  readonly span: Span;
}

export interface OnnxNode {
  /** The node's name, or `OpType_k` (its index) when it has none. */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, OnnxAttr>;
  /** The node's name in the listing. */
  readonly nameSpan: Span;
  /** The op type in the listing. */
  readonly opSpan: Span;
}

export interface OnnxValue {
  readonly name: string;
  readonly elemType: number;
  /** Dimensions: a size, a symbol (`batch`), or null when unknown. */
  readonly dims: readonly (number | string | null)[] | null;
  readonly span: Span;
}

export interface OnnxModel {
  readonly graphName: string;
  readonly producer: string;
  /** The default domain's opset version. */
  readonly opset: number;
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  /** Shapes of intermediate values the exporter recorded (value_info). */
  readonly valueInfo: ReadonlyMap<string, OnnxValue>;
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  readonly nodes: readonly OnnxNode[];
  /** The listing the spans are in. */
  readonly listing: string;
  /** The span for the whole model (the listing's first line). */
  readonly span: Span;
}

/* The decoded message, as protobufjs's toObject gives it (int64 as numbers). */
interface PTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}
interface PAttr {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: PTensor;
  floats?: number[];
  ints?: number[];
}
interface PNode {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: PAttr[];
}
interface PValue {
  name?: string;
  type?: {
    tensor_type?: {
      elem_type?: number;
      shape?: { dim?: { dim_value?: number; dim_param?: string }[] };
    };
  };
}
interface PModel {
  producer_name?: string;
  producer_version?: string;
  opset_import?: { domain?: string; version?: number }[];
  graph?: {
    name?: string;
    node?: PNode[];
    initializer?: PTensor[];
    input?: PValue[];
    output?: PValue[];
    value_info?: PValue[];
  };
}

/** Builds the listing line by line, giving spans into it. */
class Listing {
  private text = '';
  constructor(readonly file: string) {}
  get value(): string {
    return this.text;
  }
  /** Appends `s` and returns its span. */
  put(s: string): Span {
    const start = this.text.length;
    this.text += s;
    return { file: this.file, start, end: this.text.length };
  }
}

const show = (name: string) => cnnComment(name);

const utf8 = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');

function typeText(elem: number, dims: readonly (number | string | null)[] | null): string {
  const d =
    dims === null ? '' : `[${dims.map((x) => (x === null ? '?' : show(String(x)))).join(', ')}]`;
  return `${dtypeName(elem)}${d}`;
}

function readTensor(t: PTensor, listing: Listing, label: string): OnnxTensor {
  const dims = (t.dims ?? []).map(Number);
  const dataType = t.data_type ?? 0;
  let data: TensorData;
  if (t.data_location === 1) {
    const entry = (k: string) => t.external_data?.find((e) => e.key === k)?.value;
    const offset = Number(entry('offset') ?? 0);
    const length = entry('length');
    data = {
      kind: 'external',
      location: entry('location') ?? '',
      offset,
      length: length === undefined ? null : Number(length),
    };
  } else if (t.raw_data && t.raw_data.length) data = { kind: 'raw', bytes: t.raw_data };
  else {
    const values =
      (t.float_data?.length && t.float_data) ||
      (t.int64_data?.length && t.int64_data) ||
      (t.int32_data?.length && t.int32_data) ||
      (t.double_data?.length && t.double_data) ||
      [];
    data = { kind: 'values', values };
  }
  const where = data.kind === 'external' ? ` in ${JSON.stringify(show(data.location))}` : '';
  const span = listing.put(`${label}${show(t.name ?? '')}: ${typeText(dataType, dims)}${where}`);
  return { name: t.name ?? '', dims, dataType, data, span };
}

function readValue(v: PValue, listing: Listing, label: string): OnnxValue {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape?.dim
    ? tt.shape.dim.map((d) =>
        d.dim_value !== undefined && d.dim_value > 0
          ? Number(d.dim_value)
          : d.dim_param
            ? d.dim_param
            : null,
      )
    : null;
  const elemType = tt?.elem_type ?? 0;
  const span = listing.put(`${label}${show(v.name ?? '')}: ${typeText(elemType, dims)}`);
  return { name: v.name ?? '', elemType, dims, span };
}

function attrText(a: PAttr): { text: string; value: AttrValue; tensor?: PTensor } {
  const list = (xs: number[] | undefined) => `[${(xs ?? []).join(', ')}]`;
  switch (a.type) {
    case 1:
      return { text: String(a.f ?? 0), value: { kind: 'float', value: a.f ?? 0 } };
    case 2:
      return { text: String(a.i ?? 0), value: { kind: 'int', value: Number(a.i ?? 0) } };
    case 3: {
      const s = utf8(a.s);
      return { text: JSON.stringify(show(s)), value: { kind: 'string', value: s } };
    }
    case 6:
      return { text: list(a.floats), value: { kind: 'floats', value: a.floats ?? [] } };
    case 7:
      return { text: list(a.ints), value: { kind: 'ints', value: (a.ints ?? []).map(Number) } };
    case 4:
      return { text: '', value: { kind: 'other', value: 'tensor' }, tensor: a.t ?? {} };
    default:
      return { text: '…', value: { kind: 'other', value: `attribute type ${a.type ?? 0}` } };
  }
}

export interface DecodeResult {
  readonly model: OnnxModel | null;
  readonly diagnostics: readonly Diagnostic[];
  /** The listing, also when decoding stopped, for rendering the diagnostics. */
  readonly listing: string;
}

/** Decodes and lists a ModelProto. `file` is the display path spans carry. */
export function decodeOnnx(bytes: Uint8Array, file: string): DecodeResult {
  const listing = new Listing(file);
  const head = (s: string) => listing.put(s);
  let raw: PModel;
  try {
    const Model = onnxType('ModelProto');
    raw = Model.toObject(Model.decode(bytes), {
      longs: Number,
      enums: Number,
      arrays: true,
    }) as PModel;
  } catch (e) {
    // protobufjs throws on a truncated or mistyped field; deep nesting overflows the stack.
    const why =
      e instanceof RangeError && /call stack/i.test(e.message)
        ? 'messages nested too deeply'
        : (e as Error).message;
    const span = head(`${show(file)}: not an ONNX protobuf (${show(why)})\n`);
    return {
      model: null,
      listing: listing.value,
      diagnostics: [
        diag('CNN2070', `not an ONNX model: the protobuf does not decode (${why})`, {
          span: { ...span, end: span.end - 1 },
          help: 'give a .onnx file (a serialised ModelProto), as torch.onnx.export or onnx.save write',
        }),
      ],
    };
  }
  const g = raw.graph;
  const opset =
    raw.opset_import?.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
  const producer = [raw.producer_name, raw.producer_version].filter(Boolean).join(' ');
  const title = head(
    `ONNX graph ${JSON.stringify(show(g?.name ?? ''))}, opset ${opset}` +
      `${producer ? `, from ${show(producer)}` : ''}`,
  );
  head('\n');
  if (!g || (g.node ?? []).length === 0) {
    return {
      model: null,
      listing: listing.value,
      diagnostics: [
        diag(
          'CNN2070',
          `not an ONNX model: ${g ? 'the graph has no nodes' : 'it holds no graph'}`,
          {
            span: title,
            help: 'give a .onnx file (a serialised ModelProto), as torch.onnx.export or onnx.save write',
          },
        ),
      ],
    };
  }
  const nodesIn = g.node ?? [];
  const inits = g.initializer ?? [];
  if (nodesIn.length > MAX_ONNX_NODES || inits.length > MAX_ONNX_NODES)
    return {
      model: null,
      listing: listing.value,
      diagnostics: [
        diag(
          'CNN4020',
          `the graph has ${nodesIn.length.toLocaleString('en-US')} nodes and ${inits.length.toLocaleString('en-US')} initializers; cnnc imports at most ${MAX_ONNX_NODES.toLocaleString('en-US')} of each`,
          { span: title },
        ),
      ],
    };

  const initNames = new Set(inits.map((t) => t.name ?? ''));
  const inputs: OnnxValue[] = [];
  for (const v of g.input ?? []) {
    if (initNames.has(v.name ?? '')) continue; // IR < 4 lists initializers as inputs too
    inputs.push(readValue(v, listing, 'input '));
    head('\n');
  }
  const outputs: OnnxValue[] = [];
  for (const v of g.output ?? []) {
    outputs.push(readValue(v, listing, 'output '));
    head('\n');
  }
  const initializers = new Map<string, OnnxTensor>();
  for (const t of inits) {
    initializers.set(t.name ?? '', readTensor(t, listing, 'initializer '));
    head('\n');
  }
  const nodes: OnnxNode[] = [];
  const seen = new Set<string>();
  nodesIn.forEach((n, k) => {
    const opType = n.op_type ?? '';
    let name = n.name || `${opType}_${k}`;
    if (seen.has(name)) name = `${name}_${k}`;
    seen.add(name);
    head('node ');
    const nameSpan = listing.put(show(name));
    head(': ');
    const domain = n.domain ?? '';
    if (domain && domain !== 'ai.onnx') head(`${show(domain)}.`);
    const opSpan = listing.put(show(opType));
    const attrs = new Map<string, OnnxAttr>();
    const list = n.attribute ?? [];
    if (list.length) head('[');
    list.forEach((a, i) => {
      if (i) head(', ');
      const { text, value, tensor } = attrText(a);
      const start = listing.value.length;
      head(`${show(a.name ?? '')}=`);
      let v = value;
      if (tensor) v = { kind: 'tensor', value: readTensor(tensor, listing, '<tensor ') };
      if (tensor) head('>');
      else head(text);
      attrs.set(a.name ?? '', {
        name: a.name ?? '',
        value: v,
        span: { file, start, end: listing.value.length },
      });
    });
    if (list.length) head(']');
    head(`(${(n.input ?? []).map(show).join(', ')}) -> ${(n.output ?? []).map(show).join(', ')}\n`);
    nodes.push({
      name,
      opType,
      domain: domain === 'ai.onnx' ? '' : domain,
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs,
      nameSpan,
      opSpan,
    });
  });
  const valueInfo = new Map<string, OnnxValue>();
  for (const v of g.value_info ?? []) {
    valueInfo.set(v.name ?? '', readValue(v, listing, 'value '));
    head('\n');
  }
  return {
    model: {
      graphName: g.name ?? '',
      producer,
      opset,
      inputs,
      outputs,
      valueInfo,
      initializers,
      nodes,
      listing: listing.value,
      span: title,
    },
    diagnostics: [],
    listing: listing.value,
  };
}

/** Why a tensor's values cannot be read as numbers, or null when they can (external data aside). */
export function tensorProblem(t: OnnxTensor): string | null {
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0))
    return `has dimensions ${JSON.stringify(t.dims)}`;
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > MAX_TENSOR_ELEMENTS) return `has ${n.toLocaleString('en-US')} elements`;
  const width = ({ 1: 4, 6: 4, 7: 8, 11: 8 } as Record<number, number>)[t.dataType];
  if (width === undefined)
    return `is ${dtypeName(t.dataType)}; cnnc reads float, double, int32 and int64 tensors`;
  if (t.data.kind === 'raw' && t.data.bytes.length !== n * width)
    return `holds ${t.data.bytes.length.toLocaleString('en-US')} bytes of data for ${n.toLocaleString('en-US')} elements`;
  if (t.data.kind === 'values' && t.data.values.length !== n)
    return `holds ${t.data.values.length.toLocaleString('en-US')} values for ${n.toLocaleString('en-US')} elements`;
  if (t.data.kind === 'external') {
    const { offset, length } = t.data;
    if (!Number.isSafeInteger(offset) || offset < 0)
      return `has an external-data offset of ${offset}`;
    if (length !== null && length !== n * width)
      return `has an external-data length of ${length} bytes for ${n.toLocaleString('en-US')} elements`;
  }
  return null;
}

/** Bytes per element of a readable tensor. */
export function elementBytes(t: OnnxTensor): number {
  return t.dataType === DT.INT64 || t.dataType === DT.DOUBLE ? 8 : 4;
}

/**
 * A tensor's values (tensorProblem(t) must be null); `external` gives the bytes of external data,
 * exactly `elements × width` of them.
 */
export function tensorValues(
  t: OnnxTensor,
  external?: (t: OnnxTensor) => Uint8Array,
): Float64Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  if (t.data.kind === 'values') {
    for (let i = 0; i < n; i++) out[i] = Number(t.data.values[i]);
    return out;
  }
  const bytes = t.data.kind === 'raw' ? t.data.bytes : external!(t);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++)
    switch (t.dataType) {
      case DT.FLOAT:
        out[i] = view.getFloat32(4 * i, true);
        break;
      case DT.INT32:
        out[i] = view.getInt32(4 * i, true);
        break;
      case DT.INT64:
        out[i] = Number(view.getBigInt64(8 * i, true));
        break;
      case DT.DOUBLE:
        out[i] = view.getFloat64(8 * i, true);
        break;
    }
  return out;
}

/** The same values as float32, without a float64 copy for float tensors. */
export function tensorFloat32(
  t: OnnxTensor,
  external?: (t: OnnxTensor) => Uint8Array,
): Float32Array {
  if (t.dataType === DT.FLOAT && t.data.kind !== 'values') {
    const bytes = t.data.kind === 'raw' ? t.data.bytes : external!(t);
    const n = bytes.length / 4;
    const out = new Float32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  return Float32Array.from(tensorValues(t, external));
}
