/**
 * The ONNX protobuf schema, loaded once with protobufjs from the vendored onnx.proto text. Export
 * (`--emit onnx`) encodes ModelProto with it; import (`cnnc import onnx`) decodes with it.
 */
import protobuf from 'protobufjs';
import { ONNX_PROTO_TEXT } from './onnx-proto.js';

let root: protobuf.Root | undefined;

/** The parsed schema (package `onnx`). */
export function onnxRoot(): protobuf.Root {
  root ??= protobuf.parse(ONNX_PROTO_TEXT, { keepCase: true }).root;
  return root;
}

/** A message type of the schema, e.g. `ModelProto`. */
export function onnxType(name: string): protobuf.Type {
  return onnxRoot().lookupType(`onnx.${name}`);
}

/** ONNX IR version this schema describes (`Version.IR_VERSION`). */
export const ONNX_IR_VERSION = 8;
