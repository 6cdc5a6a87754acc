/**
 * The train block's detection settings (compiler/train/detection-settings.ts): the paper's defaults,
 * overrides reaching the settings, and the diagnostics of a classifier or a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import * as path from 'node:path';
import { nodeHost } from '../../../compiler/cli/host.js';
import { memoryHost, memPath, REPO } from '../../helpers/memory-host.js';

const detector = (train: string) =>
  `model D {\n  input 32x32x3\n  conv 13 3x3 stride 16 same\n  yolo 3 boxes 2\n  train {\n${train}\n  }\n}\n`;

/** The settings `cnnc train` resolves; `cnnc check` must report the same errors of the block. */
function settingsOf(text: string) {
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': text }));
  const resolved = resolveSettings(r.models[0].graph);
  const errors = (ds: readonly { severity: string; code: string }[]) =>
    ds.filter((d) => d.severity === 'error').map((d) => d.code);
  expect(errors(r.diagnostics)).toEqual(errors(resolved.diagnostics));
  return resolved;
}

describe('detection train settings', () => {
  it("defaults to the paper's weights and COCO's decoding settings", () => {
    const r = settingsOf(detector('    epochs 2'));
    expect(r.diagnostics).toEqual([]);
    expect(r.settings.detection).toEqual({
      lambdaCoord: 5,
      lambdaNoobj: 0.5,
      nmsIou: 0.5,
      scoreThreshold: 0.01,
      maxDetections: 100,
    });
  });

  it('reads loss yolo and every key, on one line or several', () => {
    const r = settingsOf(
      detector(
        '    loss yolo lambda_coord 2 lambda_noobj 1\n    nms_iou 0.6 score_threshold 0.2\n    max_detections 7',
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.settings.detection).toEqual({
      lambdaCoord: 2,
      lambdaNoobj: 1,
      nmsIou: 0.6,
      scoreThreshold: 0.2,
      maxDetections: 7,
    });
  });

  it('reports each bad value, a classification loss, and settings on a classifier', () => {
    const bad = settingsOf(
      detector(
        '    max_detections 2.5\n    score_threshold -1\n    loss mse\n    lambda_noobj "x"',
      ),
    );
    expect(bad.diagnostics.map((d) => d.code)).toEqual([
      'CNN2124',
      'CNN2124',
      'CNN2123',
      'CNN2124',
    ]);
    const classifier = settingsOf(
      'model C {\n  input 8x8x1\n  flatten\n  dense 3\n  train { loss yolo lambda_coord 3 }\n}\n',
    );
    expect(classifier.diagnostics.map((d) => d.code)).toEqual(['CNN2122', 'CNN2122']);
    expect(classifier.settings.loss).toBe('categorical');
  });

  it("the example detector's train block resolves cleanly", () => {
    const file = path.join(REPO, 'examples/detection/shapes-detector.cnn');
    const r = compileFile(file, nodeHost(REPO), { verifyEach: true });
    expect(r.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
    const resolved = resolveSettings(r.models[0].graph);
    expect(resolved.diagnostics).toEqual([]);
    expect(resolved.settings.detection.lambdaCoord).toBe(5);
    expect(resolved.settings.augment?.flipHorizontal).toBe(true);
  });

  it.each(['shapes-multiscale.cnn', 'resnet-detector.cnn'])(
    'examples/detection/%s compiles and resolves cleanly',
    (name) => {
      const file = path.join(REPO, 'examples/detection', name);
      const r = compileFile(file, nodeHost(REPO), { verifyEach: true });
      expect(r.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
      const resolved = resolveSettings(r.models[0].graph);
      expect(resolved.diagnostics).toEqual([]);
      expect(resolved.settings.outputLosses).toEqual([]);
    },
  );

  it('trains every head of a multi-scale detector with loss yolo: no per-output losses', () => {
    const two = (train: string) =>
      `model M {\n  input 16x16x3\n  conv 7 3x3 /2 same\n  output fine { yolo 2 anchors (3, 3) }\n  conv 7 3x3 /2 same\n  yolo 2 anchors (8, 8)\n  train { ${train} }\n}\n`;
    const ok = settingsOf(two('loss yolo lambda_noobj 0.7'));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.settings.outputLosses).toEqual([]);
    expect(ok.settings.detection.lambdaNoobj).toBe(0.7);
    const per = settingsOf(two('loss main mse, fine mse'));
    expect(per.diagnostics.length).toBeGreaterThan(0);
    expect(new Set(per.diagnostics.map((d) => d.code))).toEqual(new Set(['CNN2123']));
  });
});
