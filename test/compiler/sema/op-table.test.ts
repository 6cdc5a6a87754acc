/**
 * The op table (compiler/sema/op-table.ts's OPS) covers every IR op kind and is the one source of
 * the others: every op kind has an entry, in OP_KINDS order, that a source can write (a statement
 * keyword or its own syntax); keywords and aliases are unique; every attribute's default is one
 * build-attrs.ts applies; and every backend's table has every op.
 */
import { describe, expect, it } from 'vitest';
import { OP_ARITY, OP_KINDS, type OpKind } from '../../../compiler/ir/ops.js';
import { OP_RULES as ONNX_RULES } from '../../../compiler/codegen/onnx/ops.js';
import { OP_RULES as PYTORCH_RULES } from '../../../compiler/codegen/pytorch/ops.js';
import { OP_RULES as TFJS_RULES } from '../../../compiler/codegen/tfjs/ops.js';
import { compileFile } from '../../../compiler/program.js';
import { allOpWords, lookupOp, OP_SPECS, OPS } from '../../../compiler/sema/op-table.js';
import { macRules, weightRules } from '../../../compiler/sema/param-rules.js';
import { rfRules } from '../../../compiler/sema/receptive-field.js';
import { OP_LABELS } from '../../../compiler/sema/shape-rule-context.js';
import { shapeRules } from '../../../compiler/sema/shape-rules.js';
import { kernels } from '../../../runtime/reference/kernels/index.js';
import { lowerings } from '../../../runtime/tfjs/lower-ops.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

describe('OPS', () => {
  it('has one entry per op kind, in OP_KINDS order, and OP_KINDS is OP_ARITY’s keys', () => {
    expect(Object.keys(OPS)).toEqual([...OP_KINDS]);
    expect(Object.keys(OP_ARITY)).toEqual([...OP_KINDS]);
  });

  it.each(OP_KINDS.map((k) => [k]))('%s can be written and is documented', (k) => {
    const def = OPS[k as OpKind];
    expect(def.label).not.toBe('');
    expect(def.doc).not.toBe('');
    expect(def.statements.length > 0 || def.syntax !== undefined).toBe(true);
    for (const s of def.statements) expect(s.op).toBe(k);
  });

  it('keywords and aliases are unique, and each finds its statement', () => {
    const words = OP_SPECS.flatMap((s) => [s.keyword, ...s.aliases]);
    expect(new Set(words).size).toBe(words.length);
    expect(allOpWords().sort()).toEqual([...words].sort());
    for (const s of OP_SPECS)
      for (const w of [s.keyword, ...s.aliases]) expect(lookupOp(w)).toBe(s);
  });

  it('every statement names only attributes it has (positional, required, keywords, flags)', () => {
    for (const s of OP_SPECS) {
      const names = Object.keys(s.attrs);
      for (const a of [...s.positional, ...s.required, ...Object.values(s.keywords)])
        expect(names, `${s.keyword}: ${a}`).toContain(a);
      for (const f of Object.values(s.flags))
        expect(names, `${s.keyword}: ${f.attr}`).toContain(f.attr);
      if (s.strideAttr) expect(names).toContain(s.strideAttr);
      for (const r of s.required) expect(s.attrs[r].default, `${s.keyword}: ${r}`).toBeUndefined();
    }
  });

  /** A statement with only its required attributes, to see the defaults build-attrs applies. */
  const bare: Readonly<Record<string, string>> = {
    conv: 'conv 4 3x3',
    dwconv: 'dwconv 3x3',
    deconv: 'deconv 4 2x2',
    maxpool: 'maxpool 2x2',
    avgpool: 'avgpool 2x2',
    upsample: 'upsample 2',
    lrn: 'lrn 3',
    conv1d: 'conv1d 4 3',
    dense: 'dense 4',
    yolo: 'yolo 2', // 2 classes, the default 2 boxes: 2·5 + 2 = 12 channels
  };
  const inputOf: Readonly<Record<string, string>> = {
    conv1d: '8x4',
    dense: '16',
    yolo: '8x8x12',
  };
  it.each(
    OP_SPECS.filter((s) => Object.values(s.attrs).some((a) => a.default !== undefined)).map((s) => [
      s.keyword,
      s,
    ]),
  )('%s applies the defaults the table documents', (keyword, spec) => {
    const stmt = bare[keyword as string] ?? (keyword as string);
    const input = inputOf[keyword as string] ?? '8x8x4';
    const source = `model M {\n  input ${input}\n  ${stmt}\n}\n`;
    const r = compileFile(memPath('m.cnn'), memoryHost({ 'm.cnn': source }));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const node = r.models[0].graph.nodes.find((n) => n.op === spec.op && n.op !== 'input')!;
    const attrs = node.attrs as unknown as Record<string, unknown>;
    // The IR's name of an attribute where it differs from the statement's.
    const IR_NAME: Readonly<Record<string, string>> = {
      eps: 'epsilon',
      outpad: 'outputPadding',
      count_include_pad: 'countIncludePad',
      keepdims: 'keepDims',
    };
    for (const [name, a] of Object.entries(spec.attrs)) {
      if (a.default === undefined) continue;
      const v = attrs[IR_NAME[name] ?? name];
      const got = name === 'padding' ? (v as { mode: string }).mode : Array.isArray(v) ? v[0] : v;
      expect(got, `${keyword}: ${name}`).toBe(a.default);
    }
  });
});

describe('every backend table has every op', () => {
  const tables: Record<string, Readonly<Record<OpKind, unknown>>> = {
    shapeRules,
    weightRules,
    macRules,
    rfRules,
    OP_LABELS,
    'reference kernels': kernels,
    'tfjs lowerings': lowerings,
    'PyTorch emitter': PYTORCH_RULES,
    'TensorFlow.js emitter': TFJS_RULES,
    'ONNX emitter': ONNX_RULES,
  };
  it.each(Object.keys(tables).map((t) => [t]))('%s', (t) => {
    const table = tables[t];
    expect(OP_KINDS.filter((k) => table[k] === undefined)).toEqual([]);
    expect(Object.keys(table).filter((k) => !OP_KINDS.includes(k as OpKind))).toEqual([]);
  });
});
