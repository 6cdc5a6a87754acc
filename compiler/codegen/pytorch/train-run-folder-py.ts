/**
 * The run folder section of train.py's body (train-body-py.ts places it): RunFolder, what train.py
 * writes in --out and how a folder holding a previous run is judged (refused, continued with
 * --resume, or replaced with --overwrite, as `cnnc train` does: runtime/train/run-folder.ts), and
 * open_run_folder, which judges it once for every process under torchrun.
 */
export const RUN_FOLDER_PY = String.raw`# ---- the run folder ------------------------------------------------------------------------


class RunFolder:
    """runs/MODEL: checkpoint/ in cnnc's format ('cnnc evaluate --weights' loads it),
    model.safetensors (cnnc's names and layouts), train-state.pt (what --resume needs) and
    metrics.jsonl (a line per epoch). Files are replaced atomically (a temporary file, then a
    rename), so an interrupted run keeps the last complete epoch. As with 'cnnc train', a fresh
    run into a folder that holds a previous run is refused unless --resume continues it or
    --overwrite replaces it; --overwrite removes only the files below, never others."""

    # What train.py writes in the folder, and what it writes in checkpoint/ (cnnc's own
    # checkpoints add optimizer.bin).
    FILES = ("checkpoint", "model.safetensors", "train-state.pt", "metrics.jsonl")
    CHECKPOINT_FILES = ("model.json", "weights.bin", "optimizer.bin", "cnnc.json")

    def __init__(self, args):
        self.dir = os.path.abspath(args.out or os.path.join(HERE, "runs", args.model))
        self.state = os.path.join(self.dir, "train-state.pt")
        self.metrics = os.path.join(self.dir, "metrics.jsonl")

    def previous(self):
        """The files of a previous run in the folder (an empty metrics.jsonl or checkpoint/
        is none)."""
        found = []
        for name in self.FILES:
            path = os.path.join(self.dir, name)
            if not os.path.lexists(path):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                if os.listdir(path):
                    found.append(name + "/")
            elif name != "metrics.jsonl" or os.lstat(path).st_size > 0:
                found.append(name)
        return found

    @staticmethod
    def epoch_record(line):
        """Whether a line of metrics.jsonl is an epoch's record (train.py's or cnnc's)."""
        try:
            entry = json.loads(line)
        except ValueError:
            return False
        return isinstance(entry, dict) and isinstance(entry.get("epoch"), int)

    def foreign(self):
        """Why the folder's run is not one train.py (or cnnc) wrote, or None: what --resume
        would replace and --overwrite remove must be theirs."""
        checkpoint = os.path.join(self.dir, "checkpoint")
        if os.path.lexists(checkpoint):
            if os.path.islink(checkpoint) or not os.path.isdir(checkpoint):
                return "%s is not a checkpoint folder" % checkpoint
            others = sorted(
                name
                for name in os.listdir(checkpoint)
                if name not in self.CHECKPOINT_FILES
                or not os.path.isfile(os.path.join(checkpoint, name))
            )
            if others:
                return "%s holds %s, which train.py did not write" % (
                    checkpoint,
                    ", ".join(others),
                )
        for name in self.FILES[1:]:
            path = os.path.join(self.dir, name)
            if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
                return "%s is not a file" % path
        if os.path.exists(self.metrics):
            with open(self.metrics, encoding="utf-8", errors="replace") as f:
                lines = [line for line in f if line.strip()]
            if not all(self.epoch_record(line) for line in lines):
                return "the lines of %s are not epoch records" % self.metrics
        return None

    def open(self, resume, overwrite):
        """Judges the folder before any training time is spent (the first process alone): a
        UsageError when a fresh run would replace a previous one, or when --resume or
        --overwrite would replace files train.py did not write; --overwrite removes the
        previous run. Returns a note for the log, or None."""
        if os.path.lexists(self.dir) and not os.path.isdir(self.dir):
            raise UsageError("--out %s is not a folder" % self.dir)
        found = self.previous()
        if not found:
            os.makedirs(self.dir, exist_ok=True)
            return None
        why = self.foreign()
        if why is not None:
            raise UsageError(
                "will not replace the run in %s: %s; move it away, or choose another --out"
                % (self.dir, why)
            )
        if resume:
            if not os.path.exists(self.state):
                raise UsageError(
                    "--resume: %s holds %s but no train-state.pt to continue from; start "
                    "afresh with --overwrite (instead of --resume), or choose another --out"
                    % (self.dir, ", ".join(found))
                )
            return None
        if not overwrite:
            raise UsageError(
                "%s holds a previous run (%s): continue it with --resume, replace it with "
                "--overwrite, or choose another --out" % (self.dir, ", ".join(found))
            )
        checkpoint = os.path.join(self.dir, "checkpoint")
        if os.path.isdir(checkpoint):
            for name in os.listdir(checkpoint):
                os.remove(os.path.join(checkpoint, name))
            os.rmdir(checkpoint)
        for name in self.FILES[1:]:
            if os.path.lexists(os.path.join(self.dir, name)):
                os.remove(os.path.join(self.dir, name))
        return "replacing the run in %s (--overwrite): removed %s" % (self.dir, ", ".join(found))

    def load(self):
        if not os.path.exists(self.state):
            return None
        state = torch.load(self.state, map_location="cpu")
        if not isinstance(state, dict) or state.get("format") != "cnnc-pytorch-train-state":
            raise UsageError("%s: not a train.py state file" % self.state)
        return state

    def save(self, model, state, meta):
        cnnc_io.save_cnnc_checkpoint(os.path.join(self.dir, "checkpoint"), model, meta)
        cnnc_io.write_safetensors(
            os.path.join(self.dir, "model.safetensors"),
            cnnc_io.state_dict_to_cnnc(model),
            {"model": model.CNNC_MODEL, "epoch": str(meta["epoch"])},
        )
        tmp = "%s.tmp-%d" % (self.state, os.getpid())
        torch.save(dict(state, format="cnnc-pytorch-train-state", version=1), tmp)
        os.replace(tmp, self.state)

    def log(self, entry):
        with open(self.metrics, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def open_run_folder(args, processes, log):
    """The run folder, judged (and under --overwrite cleared) by the first process before any
    data is read; every process gets its verdict, so that all stop or all go on."""
    verdict = None
    if processes.main:
        try:
            verdict = ("note", RunFolder(args).open(args.resume, args.overwrite))
        except UsageError as e:
            verdict = ("error", str(e))
    kind, text = processes.share(verdict)
    if kind == "error":
        if not processes.main:
            raise SystemExit(1)  # the first process says why
        raise UsageError(text)
    if text is not None:
        log("note: " + text)


`;
