/**
 * Writes compiler/onnx/onnx-proto.ts from the vendored compiler/onnx/onnx.proto (ONNX 1.12, IR
 * version 8, copied from Debian's python3-onnx 1.12.0; Apache-2.0). The .proto file is the one
 * source; the TypeScript module carries its text so the compiler needs no file read at run time and
 * bundles for the browser. test/compiler/onnx/onnx-proto.test.ts fails when the two differ.
 *
 * usage: node dist/scripts/onnx-proto.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function onnxProtoModule(protoText: string): string {
  return [
    '// DO NOT EDIT: written by scripts/onnx-proto.ts from compiler/onnx/onnx.proto.',
    '// ONNX 1.12 (IR version 8), Apache-2.0, as vendored from Debian python3-onnx 1.12.0.',
    `export const ONNX_PROTO_TEXT = ${JSON.stringify(protoText)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const text = fs.readFileSync(path.join(REPO, 'compiler/onnx/onnx.proto'), 'utf8');
  fs.writeFileSync(path.join(REPO, 'compiler/onnx/onnx-proto.ts'), onnxProtoModule(text));
}
