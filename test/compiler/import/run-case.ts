/**
 * Runs a diagnostic case (test/compiler/diagnostic-cases.ts) the way its code arises: a Keras case
 * imports its model.json with `importKeras`; any other compiles main.cnn (and emits PyTorch when
 * the case says so, for CNN6xxx). The shared harnesses
 * (diagnostics-triggered.test.ts, diagnostics-doc.test.ts) can call this instead of compileFile.
 */
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { importKeras } from '../../../compiler/import/keras.js';
import { importOnnx } from '../../../compiler/import/onnx.js';
import { encodeOnnx } from './onnx-fixtures.js';
import { emitPytorchProject } from '../../../compiler/codegen/pytorch/project.js';
import { emitTfjsProject } from '../../../compiler/codegen/tfjs/project.js';
import { exportOnnx } from '../../../compiler/codegen/onnx/index.js';
import { hasErrors } from '../../../compiler/diagnostics/diagnostic.js';
import { compileFile } from '../../../compiler/program.js';
import { checkBackendMemory } from '../../../compiler/report/backend-memory.js';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { readFineTune } from '../../../compiler/passes/fine-tune.js';
import { detectorFeatureCache } from '../../../compiler/train/detection-settings.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import type { DiagnosticCase } from '../diagnostic-cases.js';

export function runDiagnosticCase(c: DiagnosticCase): {
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, string>;
} {
  if (c.onnxImport) {
    const spec = c.onnxImport;
    const bytes = 'bytes' in spec ? Buffer.from(spec.bytes, 'latin1') : encodeOnnx(spec);
    const r = importOnnx(bytes, { file: 'model.onnx', cnnFile: 'model.cnn' });
    return { diagnostics: r.diagnostics, sources: r.sources };
  }
  if (c.kerasImport) {
    const file = c.spanFile ?? 'model.json';
    const r = importKeras(c.files[file], { file, cnnFile: 'model.cnn' });
    return { diagnostics: r.diagnostics, sources: r.sources };
  }
  const r = compileFile(memPath('main.cnn'), memoryHost(c.files, c.fileSizes), {
    budgets: c.budgets,
  });
  if (c.emitPytorch && !hasErrors(r.diagnostics)) {
    // `cnnc compile main.cnn --emit pytorch`: code generation adds its own diagnostics.
    const project = emitPytorchProject(
      r.models.map((m) => ({ graph: m.graph, env: m.env, irHash: '', sourceHash: '' })),
      { names: c.emitPytorch.names, sources: r.sources, entry: 'main.cnn' },
    );
    return { diagnostics: [...r.diagnostics, ...project.diagnostics], sources: r.sources };
  }
  if (c.emitTfjs && !hasErrors(r.diagnostics)) {
    // `cnnc compile main.cnn --emit tfjs`.
    const project = emitTfjsProject(
      r.models.map((m) => ({ graph: m.graph, env: m.env, irHash: '', sourceHash: '' })),
      { sources: r.sources, entry: 'main.cnn' },
    );
    return { diagnostics: [...r.diagnostics, ...project.diagnostics], sources: r.sources };
  }
  if (c.emitOnnx && !hasErrors(r.diagnostics) && r.models[0]) {
    // `cnnc compile main.cnn --emit onnx`, with zero weights (their values do not matter here).
    const g = r.models[0].graph;
    const weights = g.nodes.flatMap((n) =>
      (n.weights ?? []).map((w) => ({
        name: `${n.name}/${w.name}`,
        shape: w.shape,
        data: new Float32Array(w.shape.reduce((a, b) => a * b, 1)),
      })),
    );
    const out = exportOnnx(g, weights);
    return { diagnostics: [...r.diagnostics, ...out.diagnostics], sources: r.sources };
  }
  if (c.train && r.models[0]) {
    const g = r.models[0].graph;
    const d = detectorFeatureCache(
      g,
      yoloHeadsOf(g) !== null,
      resolveSettings(g).settings.fineTune.features,
      readFineTune(g).featuresSpan,
    );
    return { diagnostics: [...r.diagnostics, ...(d ? [d] : [])], sources: r.sources };
  }
  const m = c.backendMemory;
  if (m && r.models[0]) {
    const need = { batch: m.batch, training: m.training };
    const d = checkBackendMemory(r.models[0].graph, m.backend, need, m.machineBytes);
    return { diagnostics: [...r.diagnostics, ...(d ? [d] : [])], sources: r.sources };
  }
  return { diagnostics: r.diagnostics, sources: r.sources };
}
