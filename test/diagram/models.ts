/** Diagram models of the repository's own .cnn files, for the diagram tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeHost } from '../../compiler/cli/host.js';
import { diagramModel } from '../../compiler/diagram/model.js';
import type { DiagramModel } from '../../compiler/diagram/types.js';
import { compileFile, type Host } from '../../compiler/program.js';
import { REPO } from '../helpers/memory-host.js';

/** Every model a file defines, as diagram models; fails on compile errors. */
export function diagramModelsOf(file: string, host: Host = nodeHost(REPO)): DiagramModel[] {
  const r = compileFile(path.isAbsolute(file) ? file : path.join(REPO, file), host);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${file}: ${errors.map((d) => d.message).join('; ')}`);
  return r.models.map((m) => {
    if (!m.summary) throw new Error(`${file}: ${m.graph.model} has no summary`);
    return diagramModel({ ...m, summary: m.summary }, r.sources);
  });
}

export function diagramModelOf(file: string, model?: string): DiagramModel {
  const all = diagramModelsOf(file);
  const found = model === undefined ? all[0] : all.find((m) => m.model === model);
  if (!found) throw new Error(`${file}: no model ${model}`);
  return found;
}

/** stdlib/*.cnn, examples/*.cnn and examples/transfer/*.cnn, repository-relative. */
export function repositoryCnnFiles(): string[] {
  const list = (dir: string) =>
    fs
      .readdirSync(path.join(REPO, dir))
      .filter((f) => f.endsWith('.cnn'))
      .sort()
      .map((f) => `${dir}/${f}`);
  return [...list('stdlib'), ...list('examples'), ...list('examples/transfer')];
}
