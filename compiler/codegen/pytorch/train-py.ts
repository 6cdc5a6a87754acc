/**
 * train.py of the emitted PyTorch project: the models' `train { }` blocks as SETTINGS, a flag for
 * every setting (train-flags.ts), and the training script itself (train-body-py.ts), which uses
 * the static helpers cnnc_data.py (data sources, shuffles, validation split, augmentation) and
 * cnnc_train.py (optimisers, schedules, losses, metrics, initial weights, synchronised batch norm)
 * and H3's model.py and cnnc_io.py. docs/codegen.md "Training (train.py)" documents the result.
 *
 * The emitter is pure. Its diagnostics are the train blocks' own (CNN2xxx, as `cnnc train`
 * reports them), CNN6050 for a weights file train.py cannot read and CNN6051 for a model left
 * out (several outputs that cannot all take the plain loss, and no train block to give them
 * theirs). Models with several outputs train on Σ weight · loss with their per-output losses
 * (the block's, in SETTINGS as output_losses; flags --output-loss, --output-weight). Everything
 * else the train block says, train.py does as `cnnc train` does: `features cache` included (cnnc's
 * cache holds what the frozen, dropout-free backbone computes in inference mode, which is what
 * train.py's frozen layers compute every step, their batch norms in eval mode).
 */
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Graph } from '../../ir/graph.js';
import { yoloHeadsOf } from '../../ir/yolo-heads.js';
import { namedOutputs } from '../../sema/outputs.js';
import { readFineTune } from '../../passes/fine-tune.js';
import { isOutputLossSetting } from '../../train/output-losses.js';
import { DETECTOR_FEATURE_CACHE } from '../../train/detection-settings.js';
import { resolveSettings } from '../../train/settings.js';
import { pyComment, pyDocText } from '../python-text.js';
import { mdCode } from '../markdown.js';
import { CNNC_DATA_PY } from './cnnc-data-py.js';
import { CNNC_DETECT_PY } from './cnnc-detect-py.js';
import { CNNC_TRAIN_PY } from './cnnc-train-py.js';
import { layout, type PyValue } from './py-layout.js';
import { TRAIN_BODY_PY } from './train-body-py.js';
import { trainingReadmeSections } from './train-readme.js';
import type { ReadmeSection } from './readme.js';
import { emitSettingFlags, settingValues } from './train-flags.js';
import { detectorSettingValues } from './train-detect-py.js';

export interface TrainPyModel {
  readonly graph: Graph;
  /**
   * Where train.py opens a train block's `weights "FILE"` (FILE relative to the .cnn file): a
   * path relative to the output folder (the CLI knows both folders). Default: FILE as written.
   */
  readonly weightsFile?: (file: string) => string;
}

export interface TrainPyOptions {
  /** The .cnn file compiled, as comments show it. */
  readonly entry: string;
}

export interface EmittedFile {
  readonly path: string;
  readonly text: string;
}

/** The files emitTraining writes, for the README's table of files. */
export const TRAINING_FILES: readonly (readonly [string, string])[] = [
  ['train.py', 'trains a model as `cnnc train` does, on one process or many (torchrun)'],
  ['cnnc_data.py', "cnnc's data sources, shuffles, validation split and augmentation"],
  ['cnnc_train.py', "cnnc's optimisers, schedules, losses, metrics and initial weights"],
  [
    'cnnc_detect.py',
    "cnnc's detection: COCO data, box augmentation, the yolo loss, decoding, NMS and COCO's mAP",
  ],
];

export interface EmittedTraining {
  /** train.py, cnnc_data.py and cnnc_train.py. */
  readonly files: readonly EmittedFile[];
  readonly diagnostics: readonly Diagnostic[];
  /** The README's training sections. */
  readonly readme: readonly ReadmeSection[];
}

/** Everything the emitter knows of one model: its SETTINGS entry, or null after an error. */
function modelSettings(
  m: TrainPyModel,
  report: (d: Diagnostic) => void,
): { readonly [key: string]: PyValue } | null {
  const { graph } = m;
  const resolved = resolveSettings(graph);
  const error = resolved.diagnostics.find((d) => d.severity === 'error');
  if (error && !graph.train?.length) {
    // No train block, so nothing the user wrote is wrong: the outputs of a model like a
    // multi-scale one cannot all take the plain loss (CNN3040). train.py leaves the model out.
    report(
      diag(
        'CNN6051',
        `train.py leaves ${graph.model} out: without a train block each of its ${graph.outputs.length} outputs takes the plain loss \`${resolved.settings.loss}\`, which they cannot all take`,
        {
          span: error.span,
          notes: [`${error.code}: ${error.message}`],
          help: `give the model a train block with a loss per output, e.g. \`loss ${namedOutputs(
            graph,
          )
            .map((o) => `${o.name} mse`)
            .join(', ')}\``,
        },
      ),
    );
    return null;
  }
  resolved.diagnostics.forEach(report);
  if (error) return null;
  const s = resolved.settings;
  const ft = s.fineTune;
  if (yoloHeadsOf(graph) && ft.features === 'cache') {
    // Refused as `cnnc train` refuses it (train.py would quietly train without the cache).
    report(
      diag(
        'CNN6061',
        `train.py leaves ${graph.model} out: \`features cache\` is not supported for a detector, as \`cnnc train\` refuses it`,
        {
          span: readFineTune(graph).featuresSpan ?? graph.span,
          notes: [DETECTOR_FEATURE_CACHE.note],
          help: `${DETECTOR_FEATURE_CACHE.help}: cnnc train and train.py then train the detector`,
        },
      ),
    );
    return null;
  }
  if (ft.weights && /\.json$/i.test(ft.weights.path))
    report(
      diag(
        'CNN6050',
        `\`weights ${JSON.stringify(ft.weights.path)}\` is a TensorFlow.js model, which train.py cannot read: it reads .safetensors files and cnnc checkpoint folders`,
        {
          span: ft.weights.span,
          help: `convert it once with \`cnnc weights convert FILE.cnn --from ${ft.weights.path} --to weights.safetensors\` and name the .safetensors file`,
        },
      ),
    );
  const out = graph.nodes[graph.outputs[0]]?.shape;
  const units = out?.[out.length - 1];
  return {
    ...settingValues(s),
    weights: ft.weights ? (m.weightsFile ?? ((f) => f))(ft.weights.path) : null,
    lr_groups: ft.lrGroups.map((g) => [g.target, g.lr, g.nodes]),
    unfreeze: ft.unfreeze.map((u) => [u.epoch, u.target, u.nodes, u.lr]),
    outputs: typeof units === 'number' ? units : null,
    output_losses: outputLosses(graph, s.outputLosses),
    ...detectorSettingValues(graph, s),
  };
}

/**
 * Each output's (name, loss, weight), in the graph's order: the block's `loss NAME KIND [WEIGHT]`
 * (output-losses.ts), or None for the plain `loss` (the flag --loss) where the block gives the
 * outputs no loss of their own, as `cnnc train` trains them.
 */
function outputLosses(
  graph: Graph,
  resolved: ReturnType<typeof resolveSettings>['settings']['outputLosses'],
): PyValue {
  const own = (graph.train ?? []).some(isOutputLossSetting);
  return namedOutputs(graph).map((o, k) => {
    const l = resolved[k];
    return [o.name, own && l ? l.loss : null, l?.weight ?? 1];
  });
}

const IMPORTS = `import argparse
import gc
import json
import math
import os
import re
import socket
import sys
import time
import warnings

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import cnnc_detect
import cnnc_io
from cnnc_data import (
    Augment,
    CnncSampler,
    DataError,
    Random,
    fit_to_input,
    load_source,
    resized_images,
    split_validation,
)
from cnnc_train import (
    CnncOptimizer,
    Metrics,
    class_scores,
    clip_grad_norm,
    convert_sync_batchnorm,
    initial_weights,
    learning_rate,
    logits_flags,
    output_list,
    predictions,
    weighted_loss,
)
from model import MODELS`;

/** train.py for the models of one file, and the static files it imports. */
export function emitTraining(
  all: readonly TrainPyModel[],
  options: TrainPyOptions,
): EmittedTraining {
  const diagnostics: Diagnostic[] = [];
  const settings: { [model: string]: PyValue } = {};
  const trained = new Set<string>();
  for (const m of all) {
    const s = modelSettings(m, (d) => diagnostics.push(d));
    if (s) settings[m.graph.model] = s;
    if (s) trained.add(m.graph.model);
  }
  // Models left out (CNN6051) are not trained; with none left, no training files.
  const models = all.filter((m) => trained.has(m.graph.model));
  if (models.length === 0) return { readme: [], files: [], diagnostics };
  const names = models.map((m) => pyDocText(m.graph.model)).join(', ');
  // A detector's example reads COCO data (cnnc_detect.py); a classifier's, IDX files.
  const detectors = models.filter((m) => yoloHeadsOf(m.graph));
  const data = detectors.length ? 'coco:DIR' : 'idx:DIR';
  const text = [
    '#!/usr/bin/env python3',
    `# Generated by cnnc compile --emit pytorch from ${pyComment(options.entry)}.`,
    '# DO NOT EDIT: compile again.',
    `"""Trains ${names} with PyTorch, as \`cnnc train\` does.`,
    '',
    "The settings are the model's train { } block (SETTINGS below); each one is a flag",
    '(python3 train.py --help). One process, on the CPU or a GPU:',
    '',
    `    python3 train.py --data ${data}`,
    '',
    'Several processes with DistributedDataParallel; --batch is per process:',
    '',
    `    torchrun --nproc_per_node=4 train.py --data ${data}`,
    '',
    'The run folder (runs/MODEL beside this file) holds checkpoint/, which `cnnc evaluate --weights`',
    'loads, the weights as model.safetensors, train-state.pt for --resume, and metrics.jsonl. A',
    'run into a folder that holds a previous run is refused unless --resume continues it or',
    '--overwrite replaces it (removing those four, never other files).',
    '"""',
    IMPORTS,
    '',
    "# Each model's train { } block, with cnnc's defaults where it says nothing: the defaults of",
    '# the flags. lr_groups: (group, rate, IR nodes); unfreeze: (epoch, group, IR nodes, rate or',
    '# None); weights: relative to this folder; outputs: units of the (first) output layer;',
    '# output_losses: (output, loss or None for --loss, weight) per output, the training loss',
    '# being the sum of weight * loss (categorical from the logits of a softmax output).',
    ...(detectors.length
      ? [
          "# heads: a detector's yolo heads (cnnc_detect.Head); detection: its loss weights and NMS.",
        ]
      : []),
    ...layout('SETTINGS = ', settings, '', ''),
    '',
    '',
    ...emitSettingFlags(),
    '',
    '',
    TRAIN_BODY_PY,
  ].join('\n');
  const first = models[0] && resolveSettings(models[0].graph).settings;
  // The README's paragraph on per-output losses, for the first model that has them.
  const heads = models.find((m) => resolveSettings(m.graph).settings.outputLosses.length > 1);
  const readme: ReadmeSection[] = first
    ? trainingReadmeSections({
        entry: options.entry,
        model: models[0].graph.model,
        batch: first.batchSize,
        lr: first.lr,
        several: models.length > 1,
        outputs: heads
          ? { model: heads.graph.model, losses: resolveSettings(heads.graph).settings.outputLosses }
          : null,
      })
    : [];
  if (first && detectors.length)
    readme.push({
      heading: 'Detectors',
      body: [
        `${detectors.map((m) => `\`${mdCode(m.graph.model)}\``).join(', ')} ends in a yolo head, or in one`,
        'per output (a multi-scale detector): train.py trains it as `cnnc train` does, on COCO-format',
        'data (`--data coco:DIR`, e.g. from `cnnc data shapes`), with box-aware augmentation and the',
        "yolo loss of `cnnc_detect.py`, and prints COCO's mAP@[.5:.95], mAP@0.5, mAP@0.75 and",
        "per-class AP on the test split. The run folder's checkpoint loads in",
        '`cnnc evaluate FILE --weights runs/MODEL --data coco:DIR`.',
      ].join('\n'),
    });
  return {
    readme,
    files: [
      { path: 'train.py', text: `${text.replace(/\n+$/, '')}\n` },
      { path: 'cnnc_data.py', text: CNNC_DATA_PY },
      { path: 'cnnc_train.py', text: CNNC_TRAIN_PY },
      { path: 'cnnc_detect.py', text: CNNC_DETECT_PY },
    ],
    diagnostics,
  };
}
