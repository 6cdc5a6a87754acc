/**
 * Runs a diagnostic case (test/compiler/diagnostic-cases.ts) the way its code arises: a Keras case
 * imports its model.json with `importKeras`; any other compiles main.cnn (and emits PyTorch when
 * the case says so, for CNN6xxx). The shared harnesses
 * (diagnostics-triggered.test.ts, diagnostics-doc.test.ts) can call this instead of compileFile.
 */
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { importKeras } from '../../../compiler/import/keras.js';
import { emitPytorchProject } from '../../../compiler/codegen/pytorch/project.js';
import { emitTfjsProject } from '../../../compiler/codegen/tfjs/project.js';
import { hasErrors } from '../../../compiler/diagnostics/diagnostic.js';
import { compileFile } from '../../../compiler/program.js';
import { checkBackendMemory } from '../../../compiler/report/backend-memory.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import type { DiagnosticCase } from '../diagnostic-cases.js';

export function runDiagnosticCase(c: DiagnosticCase): {
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, string>;
} {
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
  if (c.trainSettings && r.models[0]) {
    // `cnnc train main.cnn` (and, on main, `cnnc check`): the train block against the graph.
    const settings = resolveSettings(r.models[0].graph);
    return { diagnostics: [...r.diagnostics, ...settings.diagnostics], sources: r.sources };
  }
  const m = c.backendMemory;
  if (m && r.models[0]) {
    const need = { batch: m.batch, training: m.training };
    const d = checkBackendMemory(r.models[0].graph, m.backend, need, m.machineBytes);
    return { diagnostics: [...r.diagnostics, ...(d ? [d] : [])], sources: r.sources };
  }
  return { diagnostics: r.diagnostics, sources: r.sources };
}
