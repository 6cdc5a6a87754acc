/**
 * The body of train.py, the same for every model (train-py.ts emits the models' SETTINGS and flags
 * above it): distributed setup, data, fine-tuning phases, the training loop, evaluation, the run
 * folder and --resume.
 */
export const TRAIN_BODY_PY = String.raw`HERE = os.path.dirname(os.path.abspath(__file__))


class UsageError(Exception):
    """A flag or setting that cannot be used; the message says why."""


def number(low, high=math.inf, integer=False):
    """An argparse type: a number in low..high (an integer when 'integer')."""

    def parse(text):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                "expects %s; found %r" % ("an integer" if integer else "a number", text)
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                "must be in %s..%s; found %s" % (low, "inf" if high == math.inf else high, text)
            )
        return value

    return parse


def optional(parse):
    """An argparse type that also takes 'none' (the setting off)."""
    return lambda text: None if text == "none" else parse(text)


def pairs(text):
    """TARGET=VALUE for --group-lr and --unfreeze-at."""
    target, eq, value = text.partition("=")
    if not eq or not target:
        raise argparse.ArgumentTypeError("expects TARGET=VALUE; found %r" % text)
    return target, value


def parse_args(argv):
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model", choices=sorted(SETTINGS))
    model = pre.parse_known_args(argv)[0].model
    if model is None and len(SETTINGS) == 1:
        model = next(iter(SETTINGS))
    s = SETTINGS.get(model, next(iter(SETTINGS.values())))
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_setting_flags(p, s)
    r = p.add_argument_group("run")
    r.add_argument("--model", choices=sorted(SETTINGS), default=model, required=model is None,
                   help="the model to train")
    r.add_argument("--limit", type=number(1, integer=True), default=None,
                   help="use only the first N training and N test images")
    r.add_argument("--steps", type=number(1, integer=True), default=None,
                   help="stop after N optimizer steps (counted over the whole run)")
    r.add_argument("--out", default=None,
                   help="the run folder (default: runs/MODEL beside this file)")
    r.add_argument("--resume", action="store_true",
                   help="continue from the run folder's last checkpoint")
    r.add_argument("--weights", default=None,
                   help="start from these weights: a cnnc checkpoint folder or a .safetensors "
                   "file (default: the train block's 'weights')")
    r.add_argument("--report", default=None, help="write the final metrics as JSON to this file")
    r.add_argument("--quiet", action="store_true", help="print only the summary lines")
    d = p.add_argument_group("devices and processes")
    d.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when available, else the CPU")
    d.add_argument("--amp", action="store_true",
                   help="mixed precision (float16 autocast with a gradient scaler); CUDA only")
    d.add_argument("--sync-bn", action="store_true",
                   help="under torchrun, batch norm statistics of the global batch")
    args = p.parse_args(argv)
    args.settings = s
    if args.zoom is not None:
        args.zoom_min, args.zoom_max = 1 - args.zoom, 1 + args.zoom
    if args.zoom_min > args.zoom_max:
        p.error("--zoom-min %s is above --zoom-max %s" % (args.zoom_min, args.zoom_max))
    for target, _ in args.group_lr + args.unfreeze_at:
        known = [g[0] for g in s["lr_groups"]] + [u[1] for u in s["unfreeze"]]
        if target not in known:
            p.error("%r is not a group of the train block (%s)" % (target, ", ".join(known) or "none"))
    try:
        args.group_lr = {t: number(0)(v) for t, v in args.group_lr}
        args.unfreeze_at = {t: number(2, integer=True)(v) for t, v in args.unfreeze_at}
    except argparse.ArgumentTypeError as e:
        p.error("--group-lr/--unfreeze-at: %s" % e)
    return args


# ---- processes and devices -----------------------------------------------------------------


class Processes:
    """One process, or one of WORLD_SIZE started by torchrun (DistributedDataParallel)."""

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
            raise UsageError("--amp needs a CUDA device (mixed precision on the CPU is not "
                             "supported here); leave it out or use --device cuda")
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
        """The sums over the processes of a list of numbers."""
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def rng_states(self):
        """The random-number state of every process (gathered to each)."""
        mine = {"cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            mine["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.world == 1:
            return [mine]
        everyone = [None] * self.world
        dist.all_gather_object(everyone, mine)
        return everyone

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


# ---- data ----------------------------------------------------------------------------------


def load_data(args, model_class, log):
    """The data source, limited by --limit, fitted to the model input, validation held out."""
    which = ["train", "test"]
    splits = load_source(args.data, which, model_class.CNNC_INPUT, [os.getcwd(), HERE])
    outputs = args.settings["outputs"]

    def prepare(ds):
        if ds is None:
            return None
        fitted = fit_to_input(ds.take(args.limit), model_class.CNNC_INPUT)
        if outputs is not None and 1 < outputs < ds.num_classes:
            raise DataError("%s has %d outputs but %s has %d classes"
                            % (args.model, outputs, ds.name, ds.num_classes))
        return fitted

    train, test = prepare(splits.get("train")), prepare(splits.get("test"))
    if train is None:
        train, test = test, None
    train, validation = split_validation(train, args.validation, args.seed)
    resized = resized_images()
    if resized:
        log("note: %d images were resized with Pillow's Lanczos filter; cnnc resizes with "
            "sharp's, so their pixels may differ slightly (pre-size the images to the model "
            "input for identical data)" % resized)
    return train, validation, test


def batches(indices, size):
    for start in range(0, len(indices), size):
        yield indices[start : start + size]


# ---- the model and its fine-tuning phases --------------------------------------------------


class Layers:
    """The model's parameters by IR node (CNNC_WEIGHTS), frozen layers, learning-rate groups and
    the phases of gradual unfreezing, as cnnc trains them (runtime/fine-tune.ts)."""

    def __init__(self, model, args):
        self.model = model
        self.args = args
        s = args.settings
        named = dict(model.named_parameters())
        self.params = [(cnnc, key, named[key]) for cnnc, key, _ in model.CNNC_WEIGHTS
                       if key in named]
        self.groups = [(target, args.group_lr.get(target, rate), nodes)
                       for target, rate, nodes in s["lr_groups"]]
        self.unfreeze = sorted(
            ((args.unfreeze_at.get(target, epoch), target, nodes, rate)
             for epoch, target, nodes, rate in s["unfreeze"]),
            key=lambda u: u[0],
        )

    def phase_starts(self):
        """Epochs (from 1) at which a phase starts: 1 and each 'at epoch N unfreeze' in range."""
        return sorted({1} | {u[0] for u in self.unfreeze if 1 < u[0] <= self.args.epochs})

    def phase_of(self, epoch):
        return max(e for e in self.phase_starts() if e <= epoch)

    def configure(self, epoch):
        """Frozen layers and rates for the phase holding 'epoch': requires_grad, and the param
        groups [(scale, params, names)] in CNNC_WEIGHTS order of their first parameter."""
        frozen = set(self.model.CNNC_FROZEN)
        rates = {}
        for _, rate, nodes in self.groups:
            rates.update((n, rate) for n in nodes)
        start = self.phase_of(epoch)
        for at, _, nodes, rate in self.unfreeze:
            if at <= start:
                frozen.difference_update(nodes)
                if rate is not None:
                    rates.update((n, rate) for n in nodes)
        self.frozen = frozen
        groups = {}
        for cnnc, _, p in self.params:
            node = cnnc.rpartition("/")[0]
            p.requires_grad_(node not in frozen)
            if node in frozen:
                continue
            scale = rates[node] / self.args.lr if node in rates else 1.0
            g = groups.setdefault(scale, {"params": [], "scale": scale, "names": []})
            g["params"].append(p)
            g["names"].append(cnnc)
        self.static = set(self.args.settings["static"].get(start, ())) \
            if self.args.features == "cache" else set()
        return list(groups.values())

    def trainable(self):
        return [p for _, _, p in self.params if p.requires_grad]

    def train_mode(self):
        """Training mode, but frozen batch norms keep their statistics (eval mode), and with
        'features cache' the frozen backbone runs as in inference (its dropout off)."""
        self.model.train()
        for node, path in self.model.CNNC_MODULE_OF.items():
            m = self.model.get_submodule(path)
            if node in self.frozen and isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
            if node in self.static:
                m.eval()


def load_pretrained(model, args, log):
    """--weights, else the train block's 'weights "FILE" map M'."""
    path, names = args.weights, "cnnc"
    if path is None and args.settings["weights"] is not None:
        path = os.path.join(HERE, args.settings["weights"])
        names = "torchvision" if args.settings["map"] == "torchvision" else "cnnc"
    if path is None:
        return
    cnnc_io.load_weights_file(model, path, names=names)
    log("weights: %s (%s names)" % (path, names))


# ---- the run folder ------------------------------------------------------------------------


class RunFolder:
    """runs/MODEL: checkpoint/ (cnnc's format, which 'cnnc evaluate --weights' loads),
    model.safetensors (cnnc's names and layouts), train-state.pt (what --resume needs: weights,
    optimizer, step, random-number states) and metrics.jsonl. Each file is replaced atomically."""

    def __init__(self, args):
        self.dir = os.path.abspath(args.out or os.path.join(HERE, "runs", args.model))
        self.state = os.path.join(self.dir, "train-state.pt")
        self.metrics = os.path.join(self.dir, "metrics.jsonl")

    def prepare(self, resume):
        os.makedirs(self.dir, exist_ok=True)
        if not resume:
            self._write(self.metrics, b"")

    def _write(self, path, data):
        tmp = "%s.tmp-%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def save(self, model, optimizer, scaler, progress, rng, meta):
        cnnc_io.save_cnnc_checkpoint(os.path.join(self.dir, "checkpoint"), model, meta)
        cnnc_io.write_safetensors(
            os.path.join(self.dir, "model.safetensors"),
            cnnc_io.state_dict_to_cnnc(model),
            {"format": "cnnc", "model": model.CNNC_MODEL, "epoch": str(meta["epoch"]),
             "globalStep": str(meta["globalStep"])},
        )
        state = {
            "format": "cnnc-pytorch-train-state",
            "version": 1,
            "model": model.CNNC_MODEL,
            "weights": model.state_dict(),
            "optimizer": optimizer.named_state(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "progress": progress,
            "rng": rng,
        }
        tmp = "%s.tmp-%d" % (self.state, os.getpid())
        torch.save(state, tmp)
        os.replace(tmp, self.state)

    def log(self, entry):
        with open(self.metrics, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def load(self):
        if not os.path.exists(self.state):
            return None
        state = torch.load(self.state, map_location="cpu")
        if state.get("format") != "cnnc-pytorch-train-state":
            raise UsageError("%s: not a train.py state file" % self.state)
        return state


# ---- training ------------------------------------------------------------------------------


def evaluate(model, ds, args, processes):
    """Loss, accuracy, top-k and macro F1 of ds in inference mode: each process takes every
    world-th sample and the sums are shared."""
    model.eval()
    metrics = Metrics(ds.num_classes, args.top_k, processes.device)
    categorical = args.loss == "categorical"
    mine = list(range(processes.rank, len(ds), processes.world))
    with torch.no_grad():
        for idx in batches(mine, max(256, args.batch)):
            x = ds.images[idx].to(processes.device)
            y = ds.labels[idx].to(processes.device)
            out = model(x, logits=categorical).float()
            flat = out.reshape(out.shape[0], -1)
            metrics.add(loss_of(args.loss, flat, y), class_scores(flat, categorical), y)
    metrics.all_reduce()
    return metrics.result()


def pct(x):
    return "%.2f%%" % (100 * x)


def duration(seconds):
    s = max(0, round(seconds))
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def describe(args):
    parts = ["%s lr %s" % (args.optimizer, args.lr)]
    if args.optimizer in ("momentum", "nesterov"):
        parts.append("momentum %s" % args.momentum)
    if args.weight_decay:
        parts.append("weight decay %s" % args.weight_decay)
    if args.schedule != "constant":
        parts.append("%s schedule" % args.schedule)
    if args.warmup:
        parts.append("warm-up %d steps" % args.warmup)
    if args.clip is not None:
        parts.append("clip %s" % args.clip)
    if args.init != "default":
        parts.append("%s init" % args.init)
    parts += ["batch %d" % args.batch, "%d epoch%s" % (args.epochs, "" if args.epochs == 1 else "s"),
              "seed %d" % args.seed]
    return ", ".join(parts)


def train(args):
    processes = Processes(args)
    log = (lambda text: print(text, flush=True)) if processes.main else (lambda text: None)
    torch.manual_seed(args.seed + processes.rank)
    model_class = MODELS[args.model]
    train_set, validation, test = load_data(args, model_class, log)

    model = model_class()
    shapes = {n: tuple(t.shape) for n, t in cnnc_io.state_dict_to_cnnc(model).items()}
    cnnc_io.load_cnnc_weights(model, initial_weights(shapes, args.seed, args.init))
    load_pretrained(model, args, log)
    model.to(processes.device)
    if args.sync_bn and processes.world > 1:
        model = convert_sync_batchnorm(model)
    layers = Layers(model, args)

    run = RunFolder(args)
    saved = run.load() if args.resume else None
    progress = {"epoch": 0, "globalStep": 0, "stepInEpoch": 0, "best": None, "sinceBest": 0}
    if saved is not None:
        model.load_state_dict(saved["weights"])
        progress = saved["progress"]
        log("resuming from %s after step %d (epoch %d)"
            % (os.path.relpath(run.dir), progress["globalStep"], progress["epoch"]))
    elif args.resume:
        log("note: no train-state.pt in %s; starting from scratch" % os.path.relpath(run.dir))
    if processes.main:
        run.prepare(resume=saved is not None)

    augment = Augment(vars(args))
    sampler = CnncSampler(train_set, processes.world, processes.rank, args.seed)
    steps = math.ceil(len(sampler) / args.batch)
    total = steps * args.epochs
    categorical = args.loss == "categorical"
    params = sum(p.numel() for _, _, p in layers.params)
    log("%s · %s params · PyTorch %s · %s%s" % (
        args.model, format(params, ","), torch.__version__, processes.device,
        " · %d processes (%s), global batch %d" % (processes.world, processes.backend,
                                                   args.batch * processes.world)
        if processes.world > 1 else ""))
    log("data: %s, %s train%s%s · %s" % (
        train_set.name, format(len(train_set), ","),
        ", %s validation" % format(len(validation), ",") if validation else "",
        ", %s test" % format(len(test), ",") if test else "", describe(args)))

    scaler = torch.cuda.amp.GradScaler() if args.amp else None
    if saved is not None:
        if scaler is not None and saved.get("scaler"):
            scaler.load_state_dict(saved["scaler"])
        if saved["progress"].get("world") == processes.world:
            states = saved["rng"][processes.rank]
            torch.set_rng_state(states["cpu"].cpu())
            if "cuda" in states and processes.device.type == "cuda":
                torch.cuda.set_rng_state(states["cuda"].cpu(), processes.device)
        else:
            log("note: the run was saved by %d processes, not %d: random numbers (dropout) "
                "start afresh" % (saved["progress"].get("world"), processes.world))
    optimizer, net, phase = None, model, None
    global_step = progress["globalStep"]
    first = progress["epoch"] + 1
    images, started = 0, time.time()
    result = {"stoppedEarly": False, "epochs": progress["epoch"]}
    for epoch in range(first, args.epochs + 1):
        if layers.phase_of(epoch) != phase:
            phase = layers.phase_of(epoch)
            groups = layers.configure(epoch)
            previous = optimizer
            optimizer = CnncOptimizer(groups, args.optimizer, args.momentum, args.beta1,
                                      args.beta2, args.rho, args.epsilon, args.weight_decay)
            if previous is not None:
                optimizer.state.update(previous.state)
                optimizer.steps = previous.steps
            elif saved is not None:
                try:
                    optimizer.load_named_state(saved["optimizer"])
                except ValueError as e:
                    log("note: %s; starting %s afresh" % (e, args.optimizer))
            if epoch == phase and epoch > 1:
                # Each phase of a gradual unfreezing is a fresh start for early stopping.
                progress["best"], progress["sinceBest"] = None, 0
            net = model
            if processes.world > 1:
                net = None
                net = DistributedDataParallel(
                    model, device_ids=[processes.local_rank] if processes.device.type == "cuda"
                    else None)
        sampler.set_epoch(epoch)
        order = list(sampler)
        aug_random = Random((args.seed ^ 0x0A06E17) * 1000003 + epoch + 0x9E3779B9 * processes.rank)
        skip = progress["stepInEpoch"] if epoch == first else 0
        if skip and augment:
            aug_random.take(skip * args.batch * augment.draws(train_set.images.shape[1]))
        layers.train_mode()
        sums = torch.zeros(3, dtype=torch.float64, device=processes.device)
        e0 = time.time()
        lr = args.lr
        stopped = False
        for i, idx in enumerate(batches(order, args.batch)):
            if i < skip:
                continue
            lr = learning_rate(args.lr, vars(args), global_step, steps, total)
            optimizer.set_lr(lr)
            x = train_set.images[idx]
            if augment:
                x = augment(x, aug_random)
            x = x.to(processes.device, non_blocking=True)
            y = train_set.labels[idx].to(processes.device, non_blocking=True)
            with torch.autocast(device_type=processes.device.type, enabled=args.amp):
                out = net(x, logits=categorical)
            out = out.float().reshape(out.shape[0], -1)
            loss = loss_of(args.loss, out, y)
            if processes.any(not bool(torch.isfinite(loss))):
                log("error: the loss became NaN or infinite at step %d (epoch %d, batch %d); "
                    "training stopped" % (global_step + 1, epoch, i + 1))
                raise SystemExit(1)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
            else:
                loss.backward()
            if args.clip is not None:
                clip_grad_norm(layers.trainable(), args.clip)
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            global_step += 1
            n = len(idx)
            sums += torch.stack([loss.detach().double() * n,
                                 (predictions(out) == y).sum().double(),
                                 torch.tensor(float(n), dtype=torch.float64, device=sums.device)])
            if args.steps is not None and global_step >= args.steps and i + 1 < steps:
                progress.update(globalStep=global_step, stepInEpoch=i + 1)
                stopped = True
                break
        seconds = time.time() - e0
        loss_sum, correct, seen = processes.sum(sums.tolist())
        images += seen
        if stopped:
            save(run, model, optimizer, scaler, progress, processes, epoch - 1, global_step, None)
            log("stopped after step %d (--steps), in epoch %d" % (global_step, epoch))
            break
        val = evaluate(model, validation, args, processes) if validation else None
        train_metrics = {"loss": loss_sum / max(1, seen), "accuracy": correct / max(1, seen)}
        log("epoch %d/%d: loss %.4f acc %s%s · %s img/s · %s" % (
            epoch, args.epochs, train_metrics["loss"], pct(train_metrics["accuracy"]),
            " · val loss %.4f acc %s" % (val["loss"], pct(val["accuracy"])) if val else "",
            format(round(seen / max(1e-9, seconds)), ","), duration(seconds)))
        monitored = val["loss"] if val else train_metrics["loss"]
        progress.update(epoch=epoch, globalStep=global_step, stepInEpoch=0)
        if args.early_stopping is not None:
            best = progress["best"]
            if best is None or monitored < best - args.min_delta:
                progress["best"], progress["sinceBest"] = monitored, 0
            else:
                progress["sinceBest"] += 1
        metrics = {"train": train_metrics,
                   "validation": {k: v for k, v in val.items() if k != "count"} if val else None}
        save(run, model, optimizer, scaler, progress, processes, epoch, global_step, metrics)
        if processes.main:
            run.log({"epoch": epoch, "step": global_step, "lr": lr, "seconds": seconds,
                     "imagesPerSecond": seen / max(1e-9, seconds), **metrics})
        result["epochs"] = epoch
        if args.steps is not None and global_step >= args.steps:
            log("stopped after step %d (--steps)" % global_step)
            break
        if args.early_stopping is not None and progress["sinceBest"] >= args.early_stopping:
            log("early stopping after epoch %d" % epoch)
            result["stoppedEarly"] = True
            break
    train_seconds = time.time() - started
    tested = evaluate(model, test, args, processes) if test else None
    if tested:
        log("test: loss %.4f · accuracy %s · top-%d %s · macro F1 %.4f (%s images)" % (
            tested["loss"], pct(tested["accuracy"]), tested["topK"]["k"],
            pct(tested["topK"]["accuracy"]), tested["macroF1"], format(tested["count"], ",")))
    log("run folder: %s · %s img/s" % (os.path.relpath(run.dir),
                                        format(round(images / max(1e-9, train_seconds)), ",")))
    if processes.main and args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({"model": args.model, "processes": processes.world,
                       "device": str(processes.device), "torch": torch.__version__,
                       "epochs": result["epochs"], "stoppedEarly": result["stoppedEarly"],
                       "globalStep": global_step, "test": tested,
                       "imagesPerSecond": images / max(1e-9, train_seconds),
                       "trainSeconds": train_seconds, "runFolder": run.dir}, f, indent=2)
            f.write("\n")
    processes.close()


def save(run, model, optimizer, scaler, progress, processes, epoch, global_step, metrics):
    """Every process gathers its random-number state; the first one writes the run folder."""
    rng = processes.rng_states()
    if processes.main:
        meta = {"epoch": epoch, "globalStep": global_step, "metrics": metrics}
        run.save(model, optimizer, scaler, dict(progress, world=processes.world), rng, meta)


def main(argv=None):
    try:
        train(parse_args(argv))
    except (DataError, UsageError) as e:
        print("train.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
