/**
 * The flags section of train.py's body (train-body-py.ts places it): argparse types, parse_args
 * with the model's train block as the defaults (train-flags.ts emits add_setting_flags), and the
 * small text helpers of the progress lines.
 */
export const TRAIN_ARGS_PY = String.raw`# ---- flags ---------------------------------------------------------------------------------


def number(low, high=math.inf, integer=False):
    """An argparse type: a number in low..high (an integer when 'integer')."""

    def parse(text):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise argparse.ArgumentTypeError("expects %s; found %r" % (kind, text)) from None
        if not low <= value <= high:
            top = "inf" if high == math.inf else high
            raise argparse.ArgumentTypeError("must be in %s..%s; found %s" % (low, top, text))
        return value

    return parse


def optional(parse):
    """An argparse type that also takes 'none': the setting off."""
    return lambda text: None if text == "none" else parse(text)


def pairs(text):
    """GROUP=VALUE, for --group-lr and --unfreeze-at."""
    target, eq, value = text.partition("=")
    if not eq or not target:
        raise argparse.ArgumentTypeError("expects GROUP=VALUE; found %r" % text)
    return target, value


def output_setting(parse):
    """An argparse type: OUTPUT=VALUE, the value read by 'parse' (--output-loss and
    --output-weight; parse_args checks the output's name)."""

    def read(text):
        output, eq, value = text.partition("=")
        if not eq or not output:
            raise argparse.ArgumentTypeError("expects OUTPUT=VALUE; found %r" % text)
        return output, parse(value)

    return read


def one_of(choices):
    """An argparse type: one of 'choices'."""

    def parse(text):
        if text not in choices:
            raise argparse.ArgumentTypeError("%r is not one of %s" % (text, ", ".join(choices)))
        return text

    return parse


def positive(text):
    """An argparse type: a positive, finite number."""
    value = number(0)(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("must be a positive number; found %s" % text)
    return value


def parse_args(argv):
    """The flags; their defaults are the train block of the model that --model names."""
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--model", choices=sorted(SETTINGS))
    model = first.parse_known_args(argv)[0].model
    if model is None and len(SETTINGS) == 1:
        model = next(iter(SETTINGS))
    s = SETTINGS.get(model, next(iter(SETTINGS.values())))
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_setting_flags(p, s)
    g = p.add_argument_group("run")
    g.add_argument(
        "--model",
        choices=sorted(SETTINGS),
        default=model,
        required=model is None,
        help="the model to train",
    )
    g.add_argument(
        "--limit",
        type=number(1, integer=True),
        help="use only the first N training and N test images",
    )
    g.add_argument(
        "--steps",
        type=number(1, integer=True),
        help="stop after N optimizer steps (counted over the whole run)",
    )
    g.add_argument(
        "--out",
        help="the run folder (default: runs/MODEL beside this file); one that holds a previous "
        "run is refused unless --resume or --overwrite",
    )
    again = g.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue from the run folder's last checkpoint"
    )
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh, replacing the run folder's previous run: removes its checkpoint/, "
        "model.safetensors, train-state.pt and metrics.jsonl, never other files",
    )
    g.add_argument(
        "--weights",
        help="start from these weights: a cnnc checkpoint folder or a .safetensors file "
        "(default: the train block's weights)",
    )
    g.add_argument("--report", help="write the final metrics as JSON to this file")
    g.add_argument("--quiet", action="store_true", help="leave out the line of each epoch")
    g = p.add_argument_group("devices and processes")
    g.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto: CUDA when there is a GPU, else the CPU",
    )
    g.add_argument(
        "--amp",
        action="store_true",
        help="mixed precision (float16 autocast and a gradient scaler); CUDA only",
    )
    g.add_argument(
        "--sync-bn",
        action="store_true",
        help="under torchrun: batch norm statistics of the global batch",
    )
    args = p.parse_args(argv)
    args.settings = s
    if args.zoom is not None:
        args.zoom_min, args.zoom_max = 1 - args.zoom, 1 + args.zoom
    if args.zoom_min > args.zoom_max:
        p.error("--zoom-min %s is above --zoom-max %s" % (args.zoom_min, args.zoom_max))
    groups = [g[0] for g in s["lr_groups"]] + [u[1] for u in s["unfreeze"]]
    for target, _ in args.group_lr + args.unfreeze_at:
        if target not in groups:
            known = ", ".join(groups) or "none"
            p.error("%r is not a group of the train block (its groups: %s)" % (target, known))
    try:
        args.group_lr = {t: number(0)(v) for t, v in args.group_lr}
        args.unfreeze_at = {t: number(2, integer=True)(v) for t, v in args.unfreeze_at}
    except argparse.ArgumentTypeError as e:
        p.error("--group-lr or --unfreeze-at: %s" % e)
    outputs = [o[0] for o in s["output_losses"]]
    given = [("--output-loss", o) for o, _ in args.output_loss]
    given += [("--output-weight", o) for o, _ in args.output_weight]
    for flag, output in given:
        if output not in outputs:
            p.error(
                "%s: %r is not an output of %s (its outputs: %s)"
                % (flag, output, args.model, ", ".join(outputs))
            )
    kinds, weights = dict(args.output_loss), dict(args.output_weight)
    # Each output's (name, loss, weight): the flags', else the block's (--loss where it has none).
    args.output_losses = [
        (name, kinds.get(name, kind or args.loss), weights.get(name, weight))
        for name, kind, weight in s["output_losses"]
    ]
    return args


def describe(args):
    """One line of the main settings: 'nesterov lr 0.05, momentum 0.9, batch 32, ...'."""
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
    epochs = "%d epoch%s" % (args.epochs, "" if args.epochs == 1 else "s")
    return ", ".join(parts + ["batch %d" % args.batch, epochs, "seed %d" % args.seed])


def pct(x):
    return "%.2f%%" % (100 * x)


def evaluation_lines(title, r):
    """An evaluation as cnnc prints it: the totals (with several outputs the loss is the
    training loss, the rest the first output's), then each output's own metrics."""
    line = "%s: loss %.4f · accuracy %s · top-%d %s · macro F1 %.4f"
    lines = [
        (line + " (%s images)")
        % (
            title,
            r["loss"],
            pct(r["accuracy"]),
            r["topK"]["k"],
            pct(r["topK"]["accuracy"]),
            r["macroF1"],
            count(r["count"]),
        )
    ]
    for o in r.get("outputs", []):
        lines.append(
            line
            % (
                "  output " + o["name"],
                o["loss"],
                pct(o["accuracy"]),
                o["topK"]["k"],
                pct(o["topK"]["accuracy"]),
                o["macroF1"],
            )
        )
    return lines


def duration(seconds):
    s = max(0, round(seconds))
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def count(n):
    return format(int(n), ",")


`;
