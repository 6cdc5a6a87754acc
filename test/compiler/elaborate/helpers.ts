import { expect } from 'vitest';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { verify } from '../../../compiler/ir/verify.js';
import { compileFile, type CompileOptions, type CompiledModel } from '../../../compiler/program.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

export function compile(files: Record<string, string> | string, options: CompileOptions = {}) {
  const all = typeof files === 'string' ? { 'main.cnn': files } : files;
  return compileFile(memPath('main.cnn'), memoryHost(all), { verifyEach: true, ...options });
}

/** Compiles and expects no errors; returns the (only or named) model. */
export function model(
  files: Record<string, string> | string,
  name?: string,
  options: CompileOptions = {},
): CompiledModel {
  const r = compile(files, { ...options, model: name ?? options.model });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map(describe)).toEqual([]);
  expect(r.models.length).toBeGreaterThan(0);
  for (const m of r.models) expect(verify(m.graph, 'test')).toEqual([]);
  return r.models[0];
}

export function describe(d: Diagnostic): string {
  return `${d.code} ${d.message}`;
}

export function names(g: Graph): string[] {
  return g.nodes.map((n) => n.name);
}

export function codes(
  files: Record<string, string> | string,
  options: CompileOptions = {},
): string[] {
  return compile(files, options).diagnostics.map((d) => d.code);
}
