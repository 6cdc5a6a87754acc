/**
 * The body of train.py, the same for every model (train-py.ts emits the models' SETTINGS and flags
 * above it): distributed setup, data, fine-tuning phases, the training loop, evaluation, the run
 * folder's use and --resume; its flags come from train-args-py.ts, the run folder from
 * train-run-folder-py.ts. A detector (a yolo head) trains with DetectorTrainer (train-detect-py.ts).
 */
import { TRAIN_ARGS_PY } from './train-args-py.js';
import { DETECTOR_TRAINER_PY } from './train-detect-py.js';
import { RUN_FOLDER_PY } from './train-run-folder-py.js';

export const TRAIN_BODY_PY = String.raw`HERE = os.path.dirname(os.path.abspath(__file__))

# DistributedDataParallel warns about the strides of gradients of weights with a dimension of
# size 1 (a first convolution over one channel): the layouts are the same, so it is noise.
warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
# PyTorch 2.4+ calls torch.cuda.amp.GradScaler deprecated; it is the form 1.13 and 2.x share.
warnings.filterwarnings("ignore", message=r".*torch\.cuda\.amp\.GradScaler", category=FutureWarning)


class UsageError(Exception):
    """A flag or setting that cannot be used; the message says why."""


${TRAIN_ARGS_PY}# ---- processes and devices -----------------------------------------------------------------


class Processes:
    """This process: alone, or one of WORLD_SIZE started by torchrun (DistributedDataParallel
    over nccl on CUDA, gloo on the CPU)."""

    def __init__(self, args):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        kind = args.device
        if kind == "auto":
            kind = "cuda" if torch.cuda.is_available() else "cpu"
        if kind == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda: PyTorch finds no CUDA device here")
        if args.amp and kind != "cuda":
            raise UsageError(
                "--amp (mixed precision) needs a CUDA device; leave it out on the CPU"
            )
        if kind == "cuda":
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
        self.backend = None
        if self.world > 1:
            self.backend = "nccl" if kind == "cuda" else "gloo"
            dist.init_process_group(self.backend)

    @property
    def main(self):
        return self.rank == 0

    def any(self, flag):
        """True when 'flag' is true in any process."""
        if self.world == 1:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def sum(self, values):
        """Sums a list of numbers over the processes."""
        if self.world == 1:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def share(self, value):
        """The first process's 'value' (a picklable object), in every process."""
        if self.world == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def rng_states(self):
        """The random-number states of every process, gathered to each."""
        mine = {"cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            mine["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.world == 1:
            return [mine]
        everyone = [None] * self.world
        dist.all_gather_object(everyone, mine)
        return everyone

    def set_rng_state(self, states):
        mine = states[self.rank]
        torch.set_rng_state(mine["cpu"].cpu())
        if "cuda" in mine and self.device.type == "cuda":
            torch.cuda.set_rng_state(mine["cuda"].cpu(), self.device)

    def close(self):
        """Waits for every process, then leaves the process group."""
        if self.world > 1:
            dist.barrier()
            dist.destroy_process_group()


# ---- data ----------------------------------------------------------------------------------


def load_data(args, model_class, log):
    """The data source, limited by --limit, fitted to the model input, validation held out."""
    if args.settings.get("heads"):
        return load_detection_data(args, model_class)
    search = [os.getcwd(), HERE]
    splits = load_source(args.data, ["train", "test"], model_class.CNNC_INPUT, search)
    outputs = args.settings["outputs"]

    def prepare(ds):
        if ds is None:
            return None
        if outputs is not None and 1 < outputs < ds.num_classes:
            raise DataError(
                "%s has %d outputs but %s has %d classes"
                % (args.model, outputs, ds.name, ds.num_classes)
            )
        return fit_to_input(ds.take(args.limit), model_class.CNNC_INPUT)

    train, test = prepare(splits.get("train")), prepare(splits.get("test"))
    if train is None:
        train, test = test, None
    train, validation = split_validation(train, args.validation, args.seed)
    if resized_images():
        log(
            "note: %d images were resized with Pillow's Lanczos filter; cnnc resizes with "
            "sharp's, so their pixels may differ slightly (give images of the model's input "
            "size for identical data)" % resized_images()
        )
    return train, validation, test


def batches(indices, size):
    for start in range(0, len(indices), size):
        yield indices[start : start + size]


# ---- layers: frozen, rate groups, unfreezing -----------------------------------------------


class Layers:
    """The model's parameters by IR node (CNNC_WEIGHTS), which are frozen, their learning-rate
    groups and the phases of gradual unfreezing, as cnnc trains them: a phase starts at epoch 1
    and at each 'at epoch N unfreeze'; a frozen layer does not train and its batch norm keeps
    its statistics; a group's rate is its rate / lr times the scheduled rate."""

    def __init__(self, model, args):
        self.model = model
        self.args = args
        s = args.settings
        named = dict(model.named_parameters())
        self.params = [
            (cnnc, named[key]) for cnnc, key, _ in model.CNNC_WEIGHTS if key in named
        ]
        self.groups = [
            (args.group_lr.get(target, rate), nodes) for target, rate, nodes in s["lr_groups"]
        ]
        self.unfreeze = [
            (args.unfreeze_at.get(target, epoch), nodes, rate)
            for epoch, target, nodes, rate in s["unfreeze"]
        ]
        self.frozen = set(model.CNNC_FROZEN)

    def phase_of(self, epoch):
        """The first epoch of the phase holding 'epoch'."""
        starts = [at for at, _, _ in self.unfreeze if 1 < at <= min(epoch, self.args.epochs)]
        return max([1] + starts)

    def configure(self, epoch):
        """Sets requires_grad for the phase holding 'epoch'; returns its parameter groups, one
        per rate, in the order of CNNC_WEIGHTS."""
        start = self.phase_of(epoch)
        frozen = set(self.model.CNNC_FROZEN)
        rates = {}
        for rate, nodes in self.groups:
            rates.update((n, rate) for n in nodes)
        for at, nodes, rate in sorted(self.unfreeze, key=lambda u: u[0]):
            if at <= start:
                frozen.difference_update(nodes)
                if rate is not None:
                    rates.update((n, rate) for n in nodes)
        self.frozen = frozen
        groups = {}
        for cnnc, p in self.params:
            node = cnnc.rpartition("/")[0]
            p.requires_grad_(node not in frozen)
            if node not in frozen:
                scale = rates[node] / self.args.lr if node in rates else 1.0
                g = groups.setdefault(scale, {"params": [], "names": [], "scale": scale})
                g["params"].append(p)
                g["names"].append(cnnc)
        return list(groups.values())

    def trainable(self):
        return [p for _, p in self.params if p.requires_grad]

    def train_mode(self):
        """Training mode, with the batch norms of frozen layers in eval mode."""
        self.model.train()
        for node in self.frozen:
            path = self.model.CNNC_MODULE_OF.get(node)
            m = self.model.get_submodule(path) if path is not None else None
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()


${RUN_FOLDER_PY}# ---- training ------------------------------------------------------------------------------


def evaluate(model, ds, args, processes):
    """Loss, accuracy, top-k and macro F1 of ds in inference mode, as cnnc evaluates: the loss
    is the training loss (the sum of weight * loss over the outputs), the rest is the first
    output's; a model with several outputs adds 'outputs', each one's own metrics (its loss
    unweighted). Each process takes every world-th sample and the sums are shared."""
    model.eval()
    losses = args.output_losses
    total = Metrics(ds.num_classes, args.top_k, processes.device)
    several = len(losses) > 1
    each = [Metrics(ds.num_classes, args.top_k, processes.device) for _ in losses if several]
    with torch.no_grad():
        for idx in batches(range(processes.rank, len(ds), processes.world), max(256, args.batch)):
            x = ds.images[idx].to(processes.device)
            y = ds.labels[idx].to(processes.device)
            outs = output_list(model(x, logits=logits_flags(losses)), len(losses))
            loss, own = weighted_loss(losses, outs, y)
            scores = [
                class_scores(out, kind == "categorical") for (_, kind, _), out in zip(losses, outs)
            ]
            total.add(loss, scores[0], y)
            for m, part, s in zip(each, own, scores):
                m.add(part, s, y)
    for m in [total] + each:
        m.all_reduce()
    result = total.result()
    if each:
        result["outputs"] = [
            dict(name=name, **{k: v for k, v in m.result().items() if k != "count"})
            for (name, _, _), m in zip(losses, each)
        ]
    return result


class Trainer:
    """One run: the model on its device, the optimiser of the current phase, DDP, progress."""

    def __init__(self, args, processes, log):
        self.args = args
        self.processes = processes
        self.log = log
        model_class = MODELS[args.model]
        self.train_set, self.validation, self.test = load_data(args, model_class, log)
        model = model_class()
        shapes = {n: tuple(t.shape) for n, t in cnnc_io.state_dict_to_cnnc(model).items()}
        cnnc_io.load_cnnc_weights(model, initial_weights(shapes, args.seed, args.init))
        self.load_pretrained(model)
        model.to(processes.device)
        if args.sync_bn and processes.world > 1:
            model = convert_sync_batchnorm(model)
        self.model = model
        self.layers = Layers(model, args)
        self.run = RunFolder(args)
        self.sampler = CnncSampler(self.train_set, processes.world, processes.rank, args.seed)
        self.steps = math.ceil(len(self.sampler) / args.batch)
        self.augment = Augment(vars(args))
        self.scaler = torch.cuda.amp.GradScaler() if args.amp else None
        self.optimizer = None
        self.net = model
        self.phase = None
        self.progress = {"epoch": 0, "step": 0, "stepInEpoch": 0, "best": None, "sinceBest": 0}
        self.saved = self.run.load() if args.resume else None

    def load_pretrained(self, model):
        """--weights, else the train block's weights "FILE" (relative to this folder), with the
        names --map says (the block's map by default)."""
        path = self.args.weights
        if path is None and self.args.settings["weights"] is not None:
            path = os.path.join(HERE, self.args.settings["weights"])
        names = "torchvision" if self.args.map == "torchvision" else "cnnc"
        if path is not None:
            cnnc_io.load_weights_file(model, path, names=names)
            self.log("weights: %s (%s names)" % (path, names))

    def resume(self):
        """Restores the saved weights, progress and random numbers (--resume)."""
        if self.saved is None:
            if self.args.resume:
                self.log("note: no train-state.pt in %s; starting from scratch" % self.run.dir)
            return
        saved = self.saved
        self.model.load_state_dict(saved["weights"])
        self.progress = saved["progress"]
        if self.scaler is not None and saved.get("scaler"):
            self.scaler.load_state_dict(saved["scaler"])
        if len(saved["rng"]) == self.processes.world:
            self.processes.set_rng_state(saved["rng"])
        else:
            self.log(
                "note: the run was saved by %d processes, not %d: dropout's random numbers "
                "start afresh" % (len(saved["rng"]), self.processes.world)
            )
        self.log(
            "resuming from %s after step %d (epoch %d)"
            % (self.run.dir, self.progress["step"], self.progress["epoch"])
        )

    def start_phase(self, epoch):
        """A new optimiser for the layers trainable from 'epoch' on, keeping the state of the
        layers that trained before (new ones start at zero, the step count goes on)."""
        previous = self.optimizer
        a = self.args
        self.optimizer = CnncOptimizer(
            self.layers.configure(epoch),
            a.optimizer,
            a.momentum,
            a.beta1,
            a.beta2,
            a.rho,
            a.epsilon,
            a.weight_decay,
        )
        if previous is not None:
            self.optimizer.state.update(previous.state)
            self.optimizer.steps = previous.steps
        elif self.saved is not None:
            try:
                self.optimizer.load_named_state(self.saved["optimizer"])
            except ValueError as e:
                self.log("note: %s; starting %s afresh" % (e, a.optimizer))
        if epoch == self.layers.phase_of(epoch) and epoch > 1:
            # Each phase of a gradual unfreezing starts early stopping afresh, as in cnnc.
            self.progress.update(best=None, sinceBest=0)
        self.net = self.model
        if self.processes.world > 1:
            self.net = None  # the previous wrapper releases its hooks first
            ids = [self.processes.local_rank] if self.processes.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)

    def step(self, x, y, lr):
        """One optimiser step on a batch; the loss and the correct predictions (tensors)."""
        a = self.args
        self.optimizer.set_lr(lr)
        losses = a.output_losses
        with torch.autocast(device_type=self.processes.device.type, enabled=a.amp):
            out = self.net(x, logits=logits_flags(losses))
        outs = output_list(out, len(losses))
        loss = weighted_loss(losses, outs, y)[0]
        if not self.descend(loss):
            return None, None
        return loss.detach(), (predictions(outs[0]) == y).sum()

    def descend(self, loss):
        """Backward and one optimiser step (scaled under --amp, clipped under clip); False, with
        nothing changed, when the loss is not finite in any process."""
        if self.processes.any(not bool(torch.isfinite(loss))):
            return False
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if self.args.clip is not None:
            clip_grad_norm(self.layers.trainable(), self.args.clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return True

    def train_epoch(self, epoch):
        """The epoch's batches (from where a resumed run stopped); the summed loss, correct
        predictions and images of every process, or None when a loss was not finite."""
        a, p = self.args, self.progress
        device = self.processes.device
        self.sampler.set_epoch(epoch)
        order = list(self.sampler)
        # Augmentation draws from its own stream per epoch and process, as cnnc's loop does.
        seed = (a.seed ^ 0x0A06E17) * 1000003 + epoch + 0x9E3779B9 * self.processes.rank
        random = Random(seed)
        skip = p["stepInEpoch"]
        if skip and self.augment:
            channels = self.train_set.images.shape[1]
            random.take(skip * a.batch * self.augment.draws(channels))
        self.layers.train_mode()
        sums = torch.zeros(3, dtype=torch.float64, device=device)
        total = self.steps * a.epochs
        for i, idx in enumerate(batches(order, a.batch)):
            if i < skip:
                continue
            lr = learning_rate(a.lr, vars(a), p["step"], self.steps, total)
            x = self.train_set.images[idx]
            if self.augment:
                x = self.augment(x, random)
            x = x.to(device, non_blocking=True)
            y = self.train_set.labels[idx].to(device, non_blocking=True)
            loss, correct = self.step(x, y, lr)
            if loss is None:
                self.log(
                    "error: the loss became NaN or infinite at step %d (epoch %d, batch %d); "
                    "training stopped" % (p["step"] + 1, epoch, i + 1)
                )
                return None
            p.update(step=p["step"] + 1, stepInEpoch=i + 1, lr=lr)
            n = sums.new_tensor(len(idx))
            sums += torch.stack([loss.double() * n, correct.double(), n])
            if a.steps is not None and p["step"] >= a.steps:
                break
        return self.processes.sum(sums.tolist())

    def save(self, metrics):
        """Every process gives its random-number state; the first writes the run folder."""
        rng = self.processes.rng_states()
        if self.processes.main:
            p = self.progress
            meta = {"epoch": p["epoch"], "globalStep": p["step"], "metrics": metrics}
            state = {
                "model": self.model.CNNC_MODEL,
                "weights": self.model.state_dict(),
                "optimizer": self.optimizer.named_state(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "progress": p,
                "rng": rng,
            }
            self.run.save(self.model, state, meta)

    def fit(self):
        """Trains to the last epoch (or --steps, or early stopping); returns the images/s."""
        a, p = self.args, self.progress
        images, started = 0, time.time()
        for epoch in range(p["epoch"] + 1, a.epochs + 1):
            if self.layers.phase_of(epoch) != self.phase:
                self.phase = self.layers.phase_of(epoch)
                self.start_phase(epoch)
            t0 = time.time()
            sums = self.train_epoch(epoch)
            if sums is None:
                raise SystemExit(1)
            seconds = time.time() - t0
            loss_sum, correct, seen = sums
            images += seen
            if p["stepInEpoch"] < self.steps:
                # --steps ended the run within the epoch: save where it stands, for --resume.
                self.save(None)
                self.log("stopped after step %d (--steps), in epoch %d" % (p["step"], epoch))
                break
            self.end_epoch(epoch, seconds, loss_sum, correct, seen)
            if a.steps is not None and p["step"] >= a.steps:
                self.log("stopped after step %d (--steps)" % p["step"])
                break
            if a.early_stopping is not None and p["sinceBest"] >= a.early_stopping:
                self.log("early stopping after epoch %d" % epoch)
                break
        return images / max(1e-9, time.time() - started)

    def end_epoch(self, epoch, seconds, loss_sum, correct, seen):
        """Validation, the epoch's line, early stopping's count, the checkpoint and the log."""
        a, p = self.args, self.progress
        val = evaluate(self.model, self.validation, a, self.processes) if self.validation else None
        train = {"loss": loss_sum / max(1, seen), "accuracy": correct / max(1, seen)}
        say = (lambda text: None) if a.quiet else self.log
        say(
            "epoch %d/%d: loss %.4f acc %s%s · %s img/s · %s"
            % (
                epoch,
                a.epochs,
                train["loss"],
                pct(train["accuracy"]),
                " · val loss %.4f acc %s" % (val["loss"], pct(val["accuracy"])) if val else "",
                count(round(seen / max(1e-9, seconds))),
                duration(seconds),
            )
        )
        p.update(epoch=epoch, stepInEpoch=0)
        if a.early_stopping is not None:
            monitored = val["loss"] if val else train["loss"]
            if p["best"] is None or monitored < p["best"] - a.min_delta:
                p.update(best=monitored, sinceBest=0)
            else:
                p["sinceBest"] += 1
        brief = {k: v for k, v in val.items() if k != "count"} if val else None
        metrics = {"train": train, "validation": brief}
        self.save(metrics)
        if self.processes.main:
            ips = seen / max(1e-9, seconds)
            line = {"epoch": epoch, "step": p["step"], "lr": p.get("lr", a.lr)}
            self.run.log(dict(line, seconds=seconds, imagesPerSecond=ips, **metrics))


${DETECTOR_TRAINER_PY}def train(args):
    processes = Processes(args)
    log = (lambda text: print(text, flush=True)) if processes.main else (lambda text: None)
    folder = open_run_folder(args, processes, log)
    try:
        train_in_folder(args, processes, log)
    finally:
        if folder is not None:
            folder.release()


def train_in_folder(args, processes, log):
    """The run, once its folder is open: the model, the data, the epochs, the test."""
    torch.manual_seed(args.seed + processes.rank)
    t = (DetectorTrainer if args.settings.get("heads") else Trainer)(args, processes, log)
    params = sum(p.numel() for _, p in t.layers.params)
    where = "%s" % processes.device
    if processes.world > 1:
        where += " · %d processes (%s), global batch %d" % (
            processes.world,
            processes.backend,
            args.batch * processes.world,
        )
    torch_version = "PyTorch " + torch.__version__
    log("%s · %s params · %s · %s" % (args.model, count(params), torch_version, where))
    sizes = [count(len(t.train_set)) + " train"]
    if t.validation:
        sizes.append(count(len(t.validation)) + " validation")
    if t.test:
        sizes.append(count(len(t.test)) + " test")
    log("data: %s, %s · %s" % (t.train_set.name, ", ".join(sizes), describe(args)))
    t.resume()
    started = time.time()
    speed = t.fit()
    tested = evaluate(t.model, t.test, args, processes) if t.test else None
    if tested:
        log("\n".join(evaluation_lines("test", tested)))
    log("run folder: %s · %s img/s" % (t.run.dir, count(round(speed))))
    if processes.main and args.report:
        report = {
            "model": args.model,
            "processes": processes.world,
            "device": str(processes.device),
            "torch": torch.__version__,
            "epochs": t.progress["epoch"],
            "steps": t.progress["step"],
            "test": tested or getattr(t, "coco", None),
            "imagesPerSecond": speed,
            "wallSeconds": time.time() - started,
            "runFolder": t.run.dir,
        }
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(json.dumps(report, indent=2) + "\n")
    # DistributedDataParallel goes before its process group: freed after it, its reducer can wait
    # for the other processes at exit, which have gone.
    t.net = None
    gc.collect()
    processes.close()


def main(argv=None):
    args = parse_args(argv)
    try:
        train(args)
    except (DataError, UsageError, cnnc_io.WeightsError) as e:
        print("train.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
