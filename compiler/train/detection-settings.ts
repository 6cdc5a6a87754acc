/**
 * The train block's detection settings (docs/detection.md): `loss yolo` with the loss's weights, and
 * what decoding keeps (NMS IoU, score threshold, max detections), read by `cnnc train`, `cnnc
 * evaluate` and `cnnc predict` on a model that ends in a yolo head. One table of keys and ranges;
 * compiler/train/settings.ts applies it, and reports
 *
 *   CNN2122  a detection setting (or `loss yolo`) on a model without a yolo head
 *   CNN2123  a model with a yolo head trained with a classification loss
 *   CNN2124  a detection setting outside its range
 *   CNN2125  `features cache` on a detector, which `cnnc train` refuses (detectorFeatureCache)
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';

export interface DetectionSettings {
  /** λ_coord: the weight of the box-coordinate errors (the paper's 5). */
  readonly lambdaCoord: number;
  /** λ_noobj: the weight of the confidence error of boxes responsible for nothing (0.5). */
  readonly lambdaNoobj: number;
  /** NMS drops a box overlapping a better-scored one of its class by more than this IoU. */
  readonly nmsIou: number;
  /** Boxes scoring below this are dropped before NMS. */
  readonly scoreThreshold: number;
  /** The most detections kept per image. */
  readonly maxDetections: number;
}

export const DEFAULT_DETECTION: DetectionSettings = {
  lambdaCoord: 5,
  lambdaNoobj: 0.5,
  nmsIou: 0.5,
  scoreThreshold: 0.01,
  maxDetections: 100,
};

/** The loss word of a detector's train block. */
export const DETECTION_LOSS = 'yolo';

/** Each detection key, the field it sets, its range and what it means (for help texts). */
export const DETECTION_KEYS = {
  lambda_coord: { field: 'lambdaCoord', min: 0, max: 1000, what: 'the weight of box errors' },
  lambda_noobj: {
    field: 'lambdaNoobj',
    min: 0,
    max: 1000,
    what: 'the weight of empty boxes’ confidence',
  },
  nms_iou: { field: 'nmsIou', min: 0, max: 1, what: 'an IoU, from 0 to 1' },
  score_threshold: { field: 'scoreThreshold', min: 0, max: 1, what: 'a score, from 0 to 1' },
  max_detections: {
    field: 'maxDetections',
    min: 1,
    max: 10000,
    integer: true,
    what: 'a count of boxes per image',
  },
} as const satisfies Record<
  string,
  {
    field: keyof DetectionSettings;
    min: number;
    max: number;
    integer?: boolean;
    what: string;
  }
>;
export type DetectionKey = keyof typeof DETECTION_KEYS;

export const isDetectionKey = (key: string): key is DetectionKey =>
  Object.prototype.hasOwnProperty.call(DETECTION_KEYS, key);

/** Applies `key value` to `draft`; an error message when the value is outside the key's range. */
export function setDetection(
  draft: { -readonly [K in keyof DetectionSettings]: DetectionSettings[K] },
  key: DetectionKey,
  v: number | string | boolean,
): string | null {
  const spec: { min: number; max: number; integer?: boolean } = DETECTION_KEYS[key];
  if (typeof v !== 'number' || (spec.integer && !Number.isInteger(v)))
    return `\`${key}\` expects ${spec.integer ? 'an integer' : 'a number'}; found ${JSON.stringify(v)}`;
  if (v < spec.min || v > spec.max)
    return `\`${key}\` must be in ${spec.min}..${spec.max}; found ${v}`;
  draft[DETECTION_KEYS[key].field] = v;
  return null;
}

/** Whether the graph ends in a yolo head (the checker keeps the head the output, CNN2121). */
export const isDetector = (graph: Graph): boolean => graph.nodes.some((n) => n.op === 'yolo');

/** CNN2124: `key`'s value is outside its range. */
export const detectionRangeError = (key: DetectionKey, message: string, span: Span): Diagnostic =>
  diag('CNN2124', message, {
    span,
    help: `\`${key}\` is ${DETECTION_KEYS[key].what}: ${DETECTION_KEYS[key].min} to ${DETECTION_KEYS[key].max}`,
  });

/** CNN2122: `what` only means something to a detector. */
export const notADetector = (what: string, span: Span): Diagnostic =>
  diag('CNN2122', `${what} is a detection setting, but this model has no yolo head`, {
    span,
    notes: [
      'only a model ending in a `yolo` head trains with the detection loss and decodes boxes',
    ],
    help: 'remove the setting, or end the model in a yolo head (docs/detection.md)',
  });

/** CNN2123: a detector's train block names a classification loss. */
export const detectorLoss = (loss: string, span: Span): Diagnostic =>
  diag(
    'CNN2123',
    `this model ends in a yolo head, which trains with \`loss yolo\`, not \`${loss}\``,
    {
      span,
      notes: ['the yolo head outputs a grid of boxes and scores, not class scores per image'],
      help: 'write `loss yolo` (or leave `loss` out: a detector trains with it by default)',
    },
  );

/** Why a detector cannot train on cached features, and what to write instead (CNN2125, CNN6061). */
export const DETECTOR_FEATURE_CACHE = {
  note: "`features cache` trains a head on the frozen backbone's cached outputs and the labels; a detector's heads train on boxes from raw grids",
  help: 'write `features off` (or leave the setting out)',
} as const;

/**
 * CNN2125: `cnnc train` refuses `features cache` on a detector (a model whose outputs are yolo
 * heads); `featuresSpan` is where the train block sets it.
 */
export function detectorFeatureCache(
  graph: Graph,
  detector: boolean,
  features: 'off' | 'cache',
  featuresSpan: Span | null,
): Diagnostic | null {
  if (!detector || features !== 'cache') return null;
  return diag('CNN2125', `${graph.model} is a detector: \`features cache\` cannot train it`, {
    span: featuresSpan ?? graph.span,
    notes: [DETECTOR_FEATURE_CACHE.note],
    help: DETECTOR_FEATURE_CACHE.help,
  });
}
