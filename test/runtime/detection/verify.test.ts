/**
 * `cnnc verify` on a detector differentiates the yolo loss (with the train block's weights, against
 * seeded boxes) on both engines: the reported loss is that loss of the reference's output, and the
 * gradients agree.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { rng } from '../../../runtime/data/dataset.js';
import { seededDetectionLoss } from '../../../runtime/detection/yolo.js';
import { openEngine } from '../../../runtime/engines.js';
import { runCnnc as cnnc } from '../../helpers/cli.js';

const MODEL = (head: string) => `model V {
  input 16x16x3
  conv 4 3x3 stride 2 same
  leakyrelu 0.1
  conv ${head.startsWith('yolo 2 anchors') ? 14 : 12} 3x3 stride 4 same
  ${head}
  train { lambda_coord 3 lambda_noobj 0.7 }
}
`;

describe('cnnc verify on a detector', () => {
  it.each(['yolo 2 boxes 2', 'yolo 2 anchors (4, 4, 8, 6)'])(
    '%s: the yolo loss of the train block, both engines agree',
    async (head) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-verify-det-'));
      const file = path.join(dir, 'v.cnn');
      fs.writeFileSync(file, MODEL(head));
      const r = await cnnc(['verify', file, '--json', '--batch', '2', '--seed', '5']);
      expect(r.code, r.err + r.out).toBe(0);
      const report = JSON.parse(r.out);
      expect(report.ok).toBe(true);
      expect(report.grads).toHaveLength(4);
      // The same loss computed here from the reference's output on verify's seeded inputs.
      const graph = compileFile(file, nodeHost(dir)).models[0].graph;
      const ref = (await openEngine('reference', graph, { loss: 'categorical', seed: 5 })).engine!;
      const random = rng(5);
      const data = Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => random());
      const out = await ref.forward({ data, shape: [2, 16, 16, 3] });
      const weights = { lambdaCoord: 3, lambdaNoobj: 0.7 };
      const want = seededDetectionLoss(yoloHeadsOf(graph)!, 2, 5, weights)([out]).loss;
      expect(report.loss.b).toBeCloseTo(want, 5);
      expect(want).toBeGreaterThan(0);
      ref.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    60_000,
  );
});
