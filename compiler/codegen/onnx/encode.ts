/**
 * Encodes a ModelProto whose initializers hold big raw_data. protobufjs writes every field but
 * the model's graph, the graph's initializers and their raw_data, which are laid out here: a
 * protobuf message is the concatenation of its fields in any order, so the graph goes after the
 * model's other fields and the initializers after the graph's. protobufjs alone copies a
 * length-delimited field's bytes once for every message that holds it and once more each time its
 * buffer grows, which costs tens of seconds for VGG's 400 MB of weights; here each weight's bytes
 * are copied once, into the file's buffer.
 */
import { onnxType } from '../../onnx/proto.js';
import type { OnnxTensor } from './builder.js';

/** Field numbers of the vendored onnx.proto. */
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
/** Wire type of a length-delimited field. */
const LEN = 2;

/** A varint's bytes (n below 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** The key and length of a length-delimited field of `length` bytes. */
function header(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | LEN), ...varint(length)]);
}

type Chunk = Uint8Array;
const total = (chunks: readonly Chunk[]) => chunks.reduce((a, c) => a + c.length, 0);

/**
 * The bytes of `model` (the plain object protobufjs's `fromObject` reads) with `model.graph`'s
 * `initializer` list encoded as above.
 */
export function encodeModel(
  model: {
    readonly graph: { readonly initializer: readonly OnnxTensor[] } & Record<string, unknown>;
  } & Record<string, unknown>,
): Uint8Array {
  const Model = onnxType('ModelProto');
  const Graph = onnxType('GraphProto');
  const Tensor = onnxType('TensorProto');
  const { graph, ...rest } = model;
  const { initializer, ...graphRest } = graph;

  const graphChunks: Chunk[] = [Graph.encode(Graph.fromObject(graphRest)).finish()];
  for (const t of initializer) {
    const { raw_data: raw, ...meta } = t;
    if (raw === undefined) {
      const whole = Tensor.encode(Tensor.fromObject(meta)).finish();
      graphChunks.push(header(GRAPH_INITIALIZER, whole.length), whole);
      continue;
    }
    const head = Tensor.encode(Tensor.fromObject(meta)).finish();
    const rawHeader = header(TENSOR_RAW_DATA, raw.length);
    graphChunks.push(
      header(GRAPH_INITIALIZER, head.length + rawHeader.length + raw.length),
      head,
      rawHeader,
      raw,
    );
  }
  const graphLength = total(graphChunks);
  const chunks: Chunk[] = [
    Model.encode(Model.fromObject(rest)).finish(),
    header(MODEL_GRAPH, graphLength),
    ...graphChunks,
  ];
  const out = new Uint8Array(total(chunks));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
