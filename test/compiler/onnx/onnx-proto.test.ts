import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxProtoModule } from '../../../scripts/onnx-proto.js';
import { ONNX_IR_VERSION, onnxType } from '../../../compiler/onnx/proto.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

describe('the vendored ONNX schema', () => {
  it('compiler/onnx/onnx-proto.ts is generated from onnx.proto (run node dist/scripts/onnx-proto.js)', () => {
    const proto = fs.readFileSync(path.join(REPO, 'compiler/onnx/onnx.proto'), 'utf8');
    const module = fs.readFileSync(path.join(REPO, 'compiler/onnx/onnx-proto.ts'), 'utf8');
    expect(module).toBe(onnxProtoModule(proto));
  });

  it('parses, names IR version 8 and round-trips a ModelProto', () => {
    const Model = onnxType('ModelProto');
    const msg = Model.fromObject({
      ir_version: ONNX_IR_VERSION,
      producer_name: 'cnnc',
      opset_import: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ op_type: 'Relu', input: ['x'], output: ['y'], name: 'relu1' }] },
    });
    const bytes = Model.encode(msg).finish();
    const back = Model.toObject(Model.decode(bytes), { longs: Number }) as {
      ir_version: number;
      graph: { node: { op_type: string; name: string }[] };
    };
    expect(back.ir_version).toBe(8);
    expect(back.graph.node[0]).toMatchObject({ op_type: 'Relu', name: 'relu1' });
    const version = onnxType('ModelProto').root.lookupEnum('onnx.Version');
    expect(version.values.IR_VERSION).toBe(ONNX_IR_VERSION);
  });
});
