/**
 * train.py's part for detectors (models ending in a yolo head, or one per output): their SETTINGS
 * entries (the heads and the train block's detection settings) and DetectorTrainer, the Trainer of
 * train-body-py.ts with the data, the step, the epoch's end and the test of cnnc's detector training
 * (runtime/detection/train.ts, compiler/cli/train-detector.ts). The detection code itself is
 * cnnc_detect.py (cnnc-detect-py.ts). docs/codegen.md "Detectors" documents the result.
 */
import type { Graph } from '../../ir/graph.js';
import type { TrainSettings } from '../../train/settings.js';
import { yoloHeadsOf } from '../../ir/yolo-heads.js';
import type { PyValue } from './py-layout.js';

/** A detector's SETTINGS entries: its heads and the train block's detection settings. */
export function detectorSettingValues(
  graph: Graph,
  s: TrainSettings,
): { readonly [key: string]: PyValue } {
  const heads = yoloHeadsOf(graph);
  if (!heads) return {};
  const d = s.detection;
  return {
    // As cnnc_detect.Head takes them.
    heads: heads.map((h) => ({
      grid: h.grid,
      classes: h.classes,
      boxes: h.boxes,
      anchors: h.anchors,
      image: h.image,
    })),
    detection: {
      lambda_coord: d.lambdaCoord,
      lambda_noobj: d.lambdaNoobj,
      nms_iou: d.nmsIou,
      score_threshold: d.scoreThreshold,
      max_detections: d.maxDetections,
    },
  };
}

/** DetectorTrainer, placed in train.py after Trainer. */
export const DETECTOR_TRAINER_PY = String.raw`# ---- detectors ----------------------------------------------------------------------------


def load_detection_data(args, model_class):
    """A detector's coco:DIR data (--limit images of each split), letterboxed to the input; no
    validation split, as in cnnc."""
    train_set, test = cnnc_detect.load_coco(args.data, model_class.CNNC_INPUT, args.limit)
    return train_set, None, test


class DetectorRunFolder(RunFolder):
    """The run folder of a detector: its checkpoint also names the classes of its COCO data."""

    def __init__(self, args, data):
        super().__init__(args)
        self.classes = {"names": data.class_names, "categoryIds": data.category_ids}

    def save(self, model, state, meta):
        super().save(model, state, dict(meta, classes=self.classes))


class DetectorTrainer(Trainer):
    """A model ending in a yolo head (or one per output: a multi-scale detector), trained as
    'cnnc train' trains it: COCO data, box-aware augmentation, the yolo loss on the raw grids
    (SETTINGS' heads and detection), the epoch's training loss only, and COCO's numbers on the
    test split at the end. The optimiser, schedule, run folder, --steps, --resume and torchrun are
    the classifier's."""

    def __init__(self, args, processes, log):
        super().__init__(args, processes, log)
        self.heads = [cnnc_detect.Head(**h) for h in args.settings["heads"]]
        self.detection = args.settings["detection"]
        self.box_augment = cnnc_detect.BoxAugment(vars(args))
        self.run = DetectorRunFolder(args, self.train_set)
        self.coco = None

    def train_epoch(self, epoch):
        """The epoch's batches (from where a resumed run stopped); the summed loss, 0 and the
        images of every process, or None when a loss was not finite."""
        a, p = self.args, self.progress
        device = self.processes.device
        self.sampler.set_epoch(epoch)
        order = list(self.sampler)
        # Box augmentation draws from its own stream per epoch and process, as cnnc's does.
        random = Random((a.seed ^ 0x0DE7EC7) * 1000003 + epoch + 0x9E3779B9 * self.processes.rank)
        skip = p["stepInEpoch"]
        if skip and self.box_augment:
            random.take(skip * a.batch * self.box_augment.draws())
        self.layers.train_mode()
        sums = torch.zeros(3, dtype=torch.float64, device=device)
        total = self.steps * a.epochs
        for i, idx in enumerate(batches(order, a.batch)):
            if i < skip:
                continue
            lr = learning_rate(a.lr, vars(a), p["step"], self.steps, total)
            x, truths = self.train_set.batch(idx, self.box_augment, random)
            loss = self.detector_step(x.to(device, non_blocking=True), truths, lr)
            if loss is None:
                self.log(
                    "error: the loss became NaN or infinite at step %d (epoch %d, batch %d); "
                    "training stopped" % (p["step"] + 1, epoch, i + 1)
                )
                return None
            p.update(step=p["step"] + 1, stepInEpoch=i + 1, lr=lr)
            n = sums.new_tensor(len(idx))
            sums += torch.stack([loss.double() * n, n * 0, n])
            if a.steps is not None and p["step"] >= a.steps:
                break
        return self.processes.sum(sums.tolist())

    def detector_step(self, x, truths, lr):
        """One optimiser step on a batch and its truth boxes; the loss (a tensor)."""
        a = self.args
        self.optimizer.set_lr(lr)
        with torch.autocast(device_type=self.processes.device.type, enabled=a.amp):
            out = self.net(x)
        d = self.detection
        loss = cnnc_detect.detection_loss(
            self.heads, out, truths, d["lambda_coord"], d["lambda_noobj"]
        )
        return loss.detach() if self.descend(loss) else None

    def end_epoch(self, epoch, seconds, loss_sum, correct, seen):
        """The epoch's line, the checkpoint and the log (no validation, as in cnnc)."""
        a, p = self.args, self.progress
        train = {"loss": loss_sum / max(1, seen)}
        if not a.quiet:
            self.log(
                "epoch %d/%d: loss %.4f · %s img/s · %s"
                % (epoch, a.epochs, train["loss"], count(round(seen / max(1e-9, seconds))),
                   duration(seconds))
            )
        p.update(epoch=epoch, stepInEpoch=0)
        metrics = {"train": train}
        self.save(metrics)
        if self.processes.main:
            ips = seen / max(1e-9, seconds)
            line = {"epoch": epoch, "step": p["step"], "lr": p.get("lr", a.lr)}
            self.run.log(dict(line, seconds=seconds, imagesPerSecond=ips, **metrics))

    def fit(self):
        """Trains as Trainer.fit does, then (first process) prints COCO's numbers on the test
        split; train() then has no classifier test left to run."""
        speed = super().fit()
        if self.test is not None and self.processes.main:
            self.coco = cnnc_detect.evaluate_detector(
                self.model, self.test, self.heads, self.detection, self.processes.device
            )
            self.log("test: %s images" % count(len(self.test)))
            self.log(cnnc_detect.summary_text(self.coco, self.test.class_names))
        self.test = None
        return speed


`;
