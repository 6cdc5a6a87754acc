/**
 * The run folder section of train.py's body (train-body-py.ts places it): RunFolder, what train.py
 * writes in --out and how a folder holding a previous run is judged (refused, continued with
 * --resume, or replaced with --overwrite, as `cnnc train` does: runtime/train/run-folder.ts), the
 * folder's lock (cnnc train's .cnnc-lock), and open_run_folder, which locks and judges it once for
 * every process under torchrun. On the way in it puts back a checkpoint that a process dying
 * while saving left in .checkpoint.old-PID, as cnnc train does (the notes, the files of a checkpoint
 * and the leftovers' names come from compiler/train/run-folder-text.ts).
 */
import {
  CHECKPOINT_FILE_NAMES,
  INTERRUPTED_SAVE,
  RUN_FOLDER_TEXT,
} from '../../train/run-folder-text.js';
import { pyString, pyStringPieces } from '../python-text.js';

const pyTuple = (items: readonly string[]) => `(${items.map(pyString).join(', ')})`;
/** A long text in a class body: adjacent literals in parentheses, within 100 columns. */
const pyText = (s: string) => `(\n        ${pyStringPieces(s, 88).join('\n        ')}\n    )`;

export const RUN_FOLDER_PY = String.raw`# ---- the run folder ------------------------------------------------------------------------


class RunFolder:
    """runs/MODEL: checkpoint/ in cnnc's format ('cnnc evaluate --weights' loads it),
    model.safetensors (cnnc's names and layouts), train-state.pt (what --resume needs) and
    metrics.jsonl (a line per epoch). Files are replaced atomically (a temporary file, then a
    rename), so an interrupted run keeps the last complete epoch; a checkpoint that a run
    stopped between the two renames of its save left in .checkpoint.old-PID is put back when
    the folder is next opened. As with 'cnnc train', a fresh run into a folder that holds a
    previous run is refused unless --resume continues it or --overwrite replaces it;
    --overwrite removes only the files below, never others. While a run writes the folder it
    holds .cnnc-lock, the lock 'cnnc train' takes, so that a second run of either is refused."""

    # What train.py writes in the folder, and what it writes in checkpoint/ (cnnc's own
    # checkpoints add optimizer.bin).
    FILES = ("checkpoint", "model.safetensors", "train-state.pt", "metrics.jsonl")
    CHECKPOINT_FILES = ${pyTuple(CHECKPOINT_FILE_NAMES)}

    LOCK = ".cnnc-lock"
    # What a save leaves when its process dies between its two renames (cnnc_io.py
    # save_cnnc_checkpoint), and the notes about it (the ones cnnc train writes).
    LEFT_BY_SAVE = re.compile(${pyString(INTERRUPTED_SAVE)})
    RECOVERED = ${pyText(RUN_FOLDER_TEXT.recovered)}
    LEFT_IN_PLACE = ${pyString(RUN_FOLDER_TEXT.leftInPlace)}

    def __init__(self, args):
        self.dir = os.path.abspath(args.out or os.path.join(HERE, "runs", args.model))
        self.state = os.path.join(self.dir, "train-state.pt")
        self.metrics = os.path.join(self.dir, "metrics.jsonl")
        self.lock = os.path.join(self.dir, self.LOCK)

    def holder(self):
        """Who holds the lock, as written in it ({pid, host, started, by}), or None."""
        try:
            with open(self.lock, encoding="utf-8") as f:
                holder = json.loads(f.read(4096))
        except (OSError, ValueError):
            return None
        ok = isinstance(holder, dict) and isinstance(holder.get("pid"), int)
        return holder if ok and isinstance(holder.get("host"), str) else None

    def take_lock(self):
        """Takes the folder's lock (created exclusively); a lock whose process no longer runs on
        this host is taken over, any other refused. Returns a note for the log, or None."""
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "by": "train.py",
        }
        note = None
        for attempt in (0, 1):
            try:
                fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self.holder()
                here = holder is not None and holder["host"] == me["host"]
                if attempt == 0 and here and not process_runs(holder["pid"]):
                    note = "took over the lock of %s from process %d, which no longer runs" % (
                        self.dir,
                        holder["pid"],
                    )
                    os.remove(self.lock)
                    continue
                if holder is None:
                    raise UsageError(
                        "%s is locked (%s names no process); if no run uses it, delete it"
                        % (self.dir, self.lock)
                    )
                by = holder.get("by")
                by = by[:40] if isinstance(by, str) and by else "a run"
                raise UsageError(
                    "%s is in use by another run: %s (process %d on %s, started %s); wait for "
                    "it to end or choose another --out"
                    % (self.dir, by, holder["pid"], holder["host"], holder.get("started", "?"))
                )
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(me) + "\n")
            return note

    def release(self):
        """Gives the lock back (when this process holds it)."""
        holder = self.holder()
        if holder is not None and holder["pid"] == os.getpid():
            os.remove(self.lock)

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

    def open(self, resume, overwrite, log):
        """Locks, recovers and judges the folder before any training time is spent (the first
        process alone): a UsageError when another run holds it, when a fresh run would replace
        a previous one, or when --resume or --overwrite would replace files train.py did not
        write; --overwrite removes the previous run. Logs what it did (a lock taken over, a
        checkpoint recovered, a run replaced) as it goes, so a refusal comes after those notes;
        the caller releases the lock when the run ends."""
        if os.path.lexists(self.dir) and not os.path.isdir(self.dir):
            raise UsageError("--out %s is not a folder" % self.dir)
        os.makedirs(self.dir, exist_ok=True)
        taken = self.take_lock()
        try:
            for note in [taken] + self.recover():
                if note:
                    log("note: " + note)
            note = self.judge(resume, overwrite)
            if note:
                log("note: " + note)
        except BaseException:
            self.release()
            raise

    def own_checkpoint(self, folder):
        """Whether folder is a folder (not a link) holding checkpoint files only."""
        if os.path.islink(folder) or not os.path.isdir(folder):
            return False
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name not in self.CHECKPOINT_FILES or not os.path.isfile(path):
                return False
            if os.path.islink(path):
                return False
        return True

    def checkpoint_epoch(self, folder):
        """The epoch of the checkpoint in folder when it holds checkpoint files only and its
        cnnc.json is a cnnc checkpoint's, else None."""
        if not self.own_checkpoint(folder):
            return None
        try:
            with open(os.path.join(folder, "cnnc.json"), encoding="utf-8") as f:
                meta = json.loads(f.read(cnnc_io.MAX_JSON))
        except (OSError, ValueError):
            return None
        epoch = meta.get("epoch") if isinstance(meta, dict) else None
        if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
            return None
        return epoch if meta.get("format") == "cnnc-checkpoint" else None

    def recover(self):
        """Puts back the checkpoint that a process dying between save_cnnc_checkpoint's two
        renames left in .checkpoint.old-PID (of the latest epoch, when there are several), and
        removes the .checkpoint.tmp-PID and .checkpoint.old-PID folders such processes left,
        when they hold checkpoint files only; others stay, with a note. Runs under the lock,
        so no live run owns them. Returns the notes."""
        notes = []
        left = sorted(name for name in os.listdir(self.dir) if self.LEFT_BY_SAVE.fullmatch(name))
        checkpoint = os.path.join(self.dir, "checkpoint")
        if not os.path.lexists(checkpoint):
            olds = [
                (self.checkpoint_epoch(os.path.join(self.dir, name)), name)
                for name in left
                if self.LEFT_BY_SAVE.fullmatch(name).group(1) == "old"
            ]
            olds = [(epoch, name) for epoch, name in olds if epoch is not None]
            if olds:
                epoch, name = max(olds)
                os.rename(os.path.join(self.dir, name), checkpoint)
                notes.append(self.RECOVERED.format(epoch=epoch, name=name))
        for name in left:
            path = os.path.join(self.dir, name)
            if not os.path.lexists(path):
                continue
            if not self.own_checkpoint(path):
                notes.append(self.LEFT_IN_PLACE.format(path=path, program="train.py"))
                continue
            for file in os.listdir(path):
                os.remove(os.path.join(path, file))
            os.rmdir(path)
        return notes

    def judge(self, resume, overwrite):
        """What open() does once the folder is locked."""
        found = self.previous()
        if not found:
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


def process_runs(pid):
    """Whether a process of this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it runs, as another user
    return True


def open_run_folder(args, processes, log):
    """The run folder, locked, recovered and judged (and under --overwrite cleared) by the
    first process before any data is read; every process gets its verdict (None, or why it is
    refused), so that all stop or all go on. Returns the first process's RunFolder (its lock to
    release), None in the others."""
    refused, run = None, None
    if processes.main:
        try:
            run = RunFolder(args)
            run.open(args.resume, args.overwrite, log)
        except UsageError as e:
            refused, run = str(e), None
    refused = processes.share(refused)
    if refused is not None:
        if not processes.main:
            raise SystemExit(1)  # the first process says why
        raise UsageError(refused)
    return run


`;
