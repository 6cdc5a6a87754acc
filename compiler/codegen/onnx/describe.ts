/**
 * A readable text form of an ONNX model (its golden files, and what a reviewer diffs): the header,
 * inputs and outputs with their shapes, initializers with their shapes, and one line per node
 * `Op name: inputs → outputs {attributes}`. Names that are not plain (`[\w.:/-]+`) are quoted as
 * JSON strings, so hostile names cannot break the layout. Values of initializers are not shown.
 */
import { onnxType } from '../../onnx/proto.js';

interface Dim {
  dim_value?: number;
  dim_param?: string;
}
interface ValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Dim[] } } };
}
interface Attribute {
  name: string;
  type: string;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
}
interface Model {
  ir_version: number;
  producer_name?: string;
  producer_version?: string;
  opset_import: { domain?: string; version: number }[];
  metadata_props?: { key: string; value: string }[];
  graph: {
    name: string;
    node?: {
      name?: string;
      op_type: string;
      input?: string[];
      output?: string[];
      attribute?: Attribute[];
    }[];
    initializer?: { name: string; dims?: number[]; data_type: number }[];
    input?: ValueInfo[];
    output?: ValueInfo[];
  };
}

const TYPES: Readonly<Record<number, string>> = { 1: 'float32', 7: 'int64' };

const quote = (name: string) => (/^[\w.:/-]+$/.test(name) ? name : JSON.stringify(name));

function shapeOf(v: ValueInfo): string {
  const t = v.type?.tensor_type;
  const dims = (t?.shape?.dim ?? []).map(
    (d) => d.dim_param ?? (d.dim_value !== undefined ? String(d.dim_value) : '?'),
  );
  return `${TYPES[t?.elem_type ?? 0] ?? `type ${t?.elem_type}`} [${dims.join(', ')}]`;
}

function attrText(a: Attribute): string {
  const num = (x: number) =>
    Number.isInteger(x) ? String(x) : String(Math.fround(x) === x ? Number(x.toPrecision(7)) : x);
  switch (a.type) {
    case 'INT':
      return `${a.name}=${a.i ?? 0}`;
    case 'FLOAT':
      return `${a.name}=${num(a.f ?? 0)}`;
    case 'INTS':
      return `${a.name}=[${(a.ints ?? []).join(', ')}]`;
    case 'FLOATS':
      return `${a.name}=[${(a.floats ?? []).map(num).join(', ')}]`;
    case 'STRING':
      return `${a.name}=${JSON.stringify(new TextDecoder().decode(a.s ?? new Uint8Array()))}`;
    default:
      return `${a.name}=<${a.type}>`;
  }
}

/** The model in `bytes` as text, one fact per line. */
export function describeOnnx(bytes: Uint8Array): string {
  const Model = onnxType('ModelProto');
  const m = Model.toObject(Model.decode(bytes), {
    longs: Number,
    enums: String,
    bytes: Uint8Array as unknown as StringConstructor,
    defaults: false,
  }) as unknown as Model;
  const g = m.graph;
  const opsets = m.opset_import.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ');
  const lines = [
    `model ${quote(g.name)}: ONNX IR ${m.ir_version}, opset ${opsets}, producer ${m.producer_name ?? ''}${m.producer_version ? ` ${m.producer_version}` : ''}`,
  ];
  for (const p of m.metadata_props ?? [])
    lines.push(`metadata ${quote(p.key)} = ${JSON.stringify(p.value)}`);
  for (const v of g.input ?? []) lines.push(`input ${quote(v.name)}: ${shapeOf(v)}`);
  for (const v of g.output ?? []) lines.push(`output ${quote(v.name)}: ${shapeOf(v)}`);
  const inits = g.initializer ?? [];
  lines.push(`initializers (${inits.length}):`);
  for (const t of inits)
    lines.push(
      `  ${quote(t.name)}: ${TYPES[t.data_type] ?? `type ${t.data_type}`} [${(t.dims ?? []).join(', ')}]`,
    );
  const nodes = g.node ?? [];
  lines.push(`nodes (${nodes.length}):`);
  for (const n of nodes) {
    const attrs = (n.attribute ?? []).map(attrText);
    lines.push(
      `  ${n.op_type} ${quote(n.name ?? '')}: ${(n.input ?? []).map(quote).join(', ')} → ${(n.output ?? []).map(quote).join(', ')}${attrs.length ? ` {${attrs.join(', ')}}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
