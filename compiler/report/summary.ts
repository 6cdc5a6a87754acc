/**
 * The two renderings of `cnnc summary`: a Keras-like table for people and one JSON object for
 * tools. Pure functions of a compiled model.
 */
import type { SourceMap } from '../diagnostics/source-file.js';
import type { Graph, Node } from '../ir/graph.js';
import { namedOutputs } from '../sema/outputs.js';
import type { CompiledModel } from '../program.js';
import { formatDim, smallestAdmissible, type Dim } from '../sema/dim.js';
import { countJson, toNumber, type Count } from '../sema/count.js';
import type { ModelSummary } from '../sema/metrics.js';
import { formatBytes, formatCount, formatInt } from '../passes/format.js';
import { opDetail } from './op-detail.js';

type Summarised = CompiledModel & { summary: ModelSummary };

function shapeJson(
  shape: readonly Dim[] | null | undefined,
  m: CompiledModel,
): (number | string | null)[] | null {
  if (!shape) return null;
  return shape.map((d) =>
    typeof d === 'number' ? d : d === null ? null : formatDim(d, m.env ?? undefined),
  );
}

function shapeText(shape: readonly Dim[] | null | undefined, m: CompiledModel): string {
  if (!shape) return '?';
  return shape.map((d) => formatDim(d, m.env ?? undefined)).join('x');
}

function source(node: Node, sources: SourceMap): string {
  const f = sources.get(node.span.file);
  if (!f) return node.span.file;
  const { line, col } = f.lineCol(node.span.start);
  return `${node.span.file}:${line}:${col}`;
}

/** The exact counts of a summary with numbers beyond 2^53 − 1 as strings of digits. */
function memoryJson(memory: ModelSummary['memory']) {
  const c = (n: Count | null) => (n === null ? null : countJson(n));
  const t = memory.training;
  return {
    paramsBytes: c(memory.paramsBytes),
    buffersBytes: c(memory.buffersBytes),
    activationsPerSampleBytes: c(memory.activationsPerSampleBytes),
    inputPerSampleBytes: c(memory.inputPerSampleBytes),
    training: {
      batch: t.batch,
      optimizer: t.optimizer,
      inputBytes: c(t.inputBytes),
      activationsBytes: c(t.activationsBytes),
      parametersBytes: c(t.parametersBytes),
      gradientsBytes: c(t.gradientsBytes),
      optimizerStateBytes: c(t.optimizerStateBytes),
      totalBytes: c(t.totalBytes),
    },
  };
}

export function summaryJson(m: Summarised, sources: SourceMap): unknown {
  const { graph, summary } = m;
  const input = graph.nodes.find((n) => n.op === 'input');
  const output = graph.outputs.length ? graph.nodes[graph.outputs[0]] : undefined;
  return {
    model: graph.model,
    file: graph.file,
    input: shapeJson(input?.shape, m),
    output: shapeJson(output?.shape, m),
    ...(graph.outputNames
      ? {
          outputs: namedOutputs(graph).map((o) => ({
            name: o.name,
            layer: graph.nodes[o.id].name,
            shape: shapeJson(graph.nodes[o.id].shape, m),
          })),
        }
      : {}),
    params: {
      total: countJson(summary.params.total),
      trainable: countJson(summary.params.trainable),
      frozen: countJson(summary.params.frozen),
    },
    buffers: countJson(summary.buffers),
    macs: summary.macs === null ? null : countJson(summary.macs),
    memory: memoryJson(summary.memory),
    receptiveField: output?.rf ?? null,
    symbols: graph.symbols,
    layers: graph.nodes.map((n, i) => ({
      name: n.name,
      op: n.op,
      output: shapeJson(n.shape, m),
      params: countJson(summary.layers[i].params),
      buffers: countJson(summary.layers[i].buffers),
      macs: n.macs === undefined || n.macs === null ? null : countJson(n.macs),
      frozen: n.frozen,
      rf: n.rf ?? null,
      source: source(n, sources),
    })),
  };
}

interface Column {
  readonly title: string;
  readonly right: boolean;
}

const COLUMNS: readonly Column[] = [
  { title: 'Layer', right: false },
  { title: 'Op', right: false },
  { title: 'Output', right: false },
  { title: 'Params', right: true },
  { title: '%', right: true },
  { title: 'MACs', right: true },
  { title: 'RF', right: false },
  { title: 'Frozen', right: false },
];

export function summaryTable(
  m: Summarised,
  sources: SourceMap,
  opts: { explain: boolean },
): string {
  const { graph, summary } = m;
  const total = toNumber(summary.params.total);
  const rows: { cells: string[]; explain: readonly string[] }[] = graph.nodes.map((n, i) => {
    const p = summary.layers[i].params;
    const rf = n.rf
      ? n.rf.global
        ? 'global'
        : `${n.rf.size.join('x')}/${n.rf.jump.join('x')}`
      : '?';
    return {
      cells: [
        n.name,
        opDetail(n),
        shapeText(n.shape, m),
        formatInt(p),
        total > 0 && p > 0 ? `${((toNumber(p) / total) * 100).toFixed(1)}%` : '',
        n.macs === null || n.macs === undefined ? '?' : n.macs === 0 ? '' : formatInt(n.macs),
        rf,
        n.frozen ? 'frozen' : '',
      ],
      explain: opts.explain ? (m.explain.get(n.id) ?? []) : [],
    };
  });
  // A loop, not Math.max(...rows): a spread of 125,000 rows overflows the stack.
  const widths = COLUMNS.map((c, i) =>
    rows.reduce((w, r) => Math.max(w, r.cells[i].length), c.title.length),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (COLUMNS[i].right ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const input = graph.nodes.find((n) => n.op === 'input');
  const output = graph.outputs.length ? graph.nodes[graph.outputs[0]] : undefined;
  const out: string[] = [];
  out.push(
    `Model: ${graph.model}  (${source(graph.nodes[0] ?? ({ span: graph.span } as Node), sources).replace(/:\d+:\d+$/, '')})`,
  );
  out.push(`Input: ${shapeText(input?.shape, m)}    ${outputsText(graph, m)}`);
  out.push(rule, line(COLUMNS.map((c) => c.title)), rule);
  for (const r of rows) {
    out.push(line(r.cells));
    for (const e of r.explain) out.push(`    ${e}`);
  }
  out.push(rule);
  const mem = summary.memory;
  const t = mem.training;
  out.push(
    `Total params:      ${formatInt(summary.params.total)} (${formatBytes(mem.paramsBytes)})`,
  );
  out.push(`Trainable params:  ${formatInt(summary.params.trainable)}`);
  out.push(`Frozen params:     ${formatInt(summary.params.frozen)}`);
  out.push(
    `Buffers:           ${formatInt(summary.buffers)}${summary.buffers ? ' (batch-norm running statistics)' : ''}`,
  );
  out.push(
    `MACs:              ${summary.macs === null ? '? (symbolic input size)' : `${formatInt(summary.macs)} (${formatCount(summary.macs)}) per sample`}`,
  );
  out.push(`Input size:        ${formatBytes(mem.inputPerSampleBytes)} per sample`);
  out.push(
    `Activations:       ${formatBytes(mem.activationsPerSampleBytes)} per sample (forward, float32)`,
  );
  out.push(
    `Training memory:   ${formatBytes(t.totalBytes)} at batch ${t.batch} = input ${formatBytes(t.inputBytes)} + activations ${formatBytes(t.activationsBytes)} + parameters ${formatBytes(t.parametersBytes)} + gradients ${formatBytes(t.gradientsBytes)} + optimizer state ${formatBytes(t.optimizerStateBytes)}`,
  );
  if (output?.rf) {
    out.push(
      `Receptive field:   ${output.rf.global ? `global (last spatial layer: ${lastSpatialRf(graph.nodes)})` : `${output.rf.size.join('x')}, stride ${output.rf.jump.join('x')}`}`,
    );
  }
  for (const s of graph.symbols) {
    const parts: string[] = [];
    if (s.multipleOf > 1) parts.push(`a multiple of ${s.multipleOf}`);
    if (s.min > Math.max(1, s.multipleOf)) parts.push(`at least ${s.min}`);
    if (parts.length) {
      out.push(
        `Constraint:        ${s.display === '?' ? s.role : `${s.display} (${s.role})`} must be ${parts.join(' and ')} (smallest: ${smallestAdmissible({ ...s })})`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** `Output: 1000`, or with several outputs `Outputs: main 1000 (fc), aux 1000 (aux.fc)`. */
function outputsText(graph: Graph, m: Summarised): string {
  if (!graph.outputNames) {
    const output = graph.outputs.length ? graph.nodes[graph.outputs[0]] : undefined;
    return `Output: ${shapeText(output?.shape, m)}`;
  }
  const list = namedOutputs(graph).map((o) => {
    const n = graph.nodes[o.id];
    return `${o.name} ${shapeText(n.shape, m)} (${n.name})`;
  });
  return `${list.length === 1 ? 'Output' : 'Outputs'}: ${list.join(', ')}`;
}

function lastSpatialRf(nodes: readonly Node[]): string {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const rf = nodes[i].rf;
    if (rf && !rf.global) return `${rf.size.join('x')}, stride ${rf.jump.join('x')}`;
  }
  return '?';
}
