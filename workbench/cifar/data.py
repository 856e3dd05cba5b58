"""CIFAR-10 in the official Python layout, read into memory as uint8 tensors.

A folder ``cifar-10-batches-py`` holds five training batches, one test batch and
``batches.meta``; each batch is a pickled dict with ``data`` (uint8, ``(N, 3072)``, channel-planar
R, G, B, 32 x 32 row-major) and ``labels`` (N ints in 0..9). Keys load as bytes or str depending
on who wrote the file; both are accepted.

Pickles can run code when loaded, so batches are read with an unpickler that only builds numpy
arrays, lists, dicts, strings and numbers.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import pickle
import urllib.error
import warnings
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import torch

from workbench.errors import DataError

# The official archive, as torchvision.datasets.CIFAR10 lists it (torchvision is imported only
# to download: importing it costs ~190 MB of memory).
FOLDER = "cifar-10-batches-py"
ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
OFFICIAL_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
META_FILE = "batches.meta"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")
IMAGE_SHAPE = (3, 32, 32)


class UnofficialDataWarning(UserWarning):
    """The folder is readable CIFAR-10 but its files are not the official archive's."""


@dataclass(frozen=True)
class Split:
    """``images``: uint8 ``(N, 3, 32, 32)``; ``labels``: int64 ``(N,)`` in 0..9."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.labels.shape[0]

    def head(self, n: int | None) -> "Split":
        """The first ``n`` examples (all of them for ``None``)."""
        return self if n is None else Split(self.images[:n], self.labels[:n])

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.images.to(device), self.labels.to(device))


@dataclass(frozen=True)
class Cifar10:
    train: Split
    test: Split
    classes: tuple[str, ...]
    folder: Path
    official: bool


def load(root: str | Path, download: bool = True) -> Cifar10:
    """Read CIFAR-10 from ``root`` (the ``cifar-10-batches-py`` folder or its parent).

    When neither holds it and ``download`` is set, the official archive is downloaded into
    ``root`` and its md5 verified. Files whose md5 differs from the official ones are accepted
    with an :class:`UnofficialDataWarning` once their shapes and labels pass validation.
    Raises :class:`DataError` for a missing, truncated or malformed folder.
    """
    folder = locate(root)
    if folder is None:
        if not download:
            raise DataError(f"no CIFAR-10 folder {FOLDER}/ in {root}")
        folder = fetch(root)
    missing = [n for n in (*TRAIN_FILES, *TEST_FILES) if not (folder / n).is_file()]
    if missing:
        raise DataError(f"{folder} lacks {', '.join(missing)}: expected the official "
                        f"layout ({', '.join(TRAIN_FILES + TEST_FILES)}, {META_FILE})")
    digests: dict[str, str] = {}
    train = _read_batches([folder / n for n in TRAIN_FILES], digests)
    test = _read_batches([folder / n for n in TEST_FILES], digests)
    differing = [n for n, digest in digests.items() if digest != OFFICIAL_MD5[n]]
    if differing:
        warnings.warn(f"{folder} is not the official CIFAR-10 archive (md5 differs for "
                      f"{', '.join(differing)}); using it after checking shapes and labels",
                      UnofficialDataWarning, stacklevel=2)
    return Cifar10(train, test, read_classes(folder), folder, official=not differing)


def locate(root: str | Path) -> Path | None:
    """The folder holding the batches: ``root`` itself or ``root/cifar-10-batches-py``."""
    root = Path(root)
    for folder in (root, root / FOLDER):
        if (folder / TRAIN_FILES[0]).is_file():
            return folder
    return None


def fetch(root: str | Path) -> Path:
    """Download and extract the official archive into ``root`` (md5 verified)."""
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root)
    try:
        download_and_extract_archive(ARCHIVE_URL, download_root=str(root), md5=ARCHIVE_MD5)
    except (urllib.error.URLError, OSError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"CIFAR-10 is not in {root} and the download failed ({reason}): "
                        f"fetch {ARCHIVE_URL} and extract it there, so that "
                        f"{root / FOLDER / TRAIN_FILES[0]} exists, or pass --data DIR") from None
    folder = locate(root)
    if folder is None:
        raise DataError(f"the downloaded archive did not contain {FOLDER}/ (in {root})")
    return folder


def read_batch(path: Path, digests: dict[str, str] | None = None) -> Split:
    """One batch file as a :class:`Split`, its shape and labels validated. The file's md5 is
    put into ``digests`` under its name."""
    batch = _unpickle(path, digests)
    if not isinstance(batch, dict):
        raise DataError(f"{path}: expected a pickled dict, found {type(batch).__name__}")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or labels is None:
        raise DataError(f"{path}: expected keys 'data' (numpy array) and 'labels', found "
                        f"{sorted(map(str, batch))}")
    labels_t = _labels(path, labels)
    n = len(labels_t)
    if data.dtype != np.uint8 or data.shape != (n, 3 * 32 * 32):
        raise DataError(f"{path}: 'data' is {data.dtype} {data.shape}, expected uint8 "
                        f"({n}, 3072) for {n} labels")
    images = torch.from_numpy(np.ascontiguousarray(data)).reshape(n, *IMAGE_SHAPE)
    return Split(images, labels_t)


def _labels(path: Path, labels) -> torch.Tensor:
    """``labels`` as int64 ``(N,)`` if they are a list (or 1-D array) of integers in 0..9;
    anything else, strings like ``'3'`` included, is a :class:`DataError` naming the file."""
    if isinstance(labels, np.ndarray):
        if labels.ndim != 1 or (len(labels) and labels.dtype.kind not in "iu"):
            raise _label_error(path, f"a {labels.dtype} array of shape {labels.shape}")
        labels = labels.tolist()
    if not isinstance(labels, list):
        raise _label_error(path, type(labels).__name__)
    bad = next((x for x in labels if not _is_label(x)), None)
    if bad is not None:
        raise _label_error(path, f"{type(bad).__name__} {bad!r:.40}")
    return torch.as_tensor(labels, dtype=torch.int64)


def _is_label(x) -> bool:
    # type() first: checking isinstance against Integral makes reading 50,000 labels 4x slower.
    is_int = type(x) is int or (isinstance(x, Integral) and not isinstance(x, bool))
    return is_int and 0 <= x < len(CLASSES)


def _label_error(path: Path, found: str) -> DataError:
    return DataError(f"{path}: 'labels' must be a list of integers in 0..{len(CLASSES) - 1}, "
                     f"found {found}")


def read_classes(folder: Path) -> tuple[str, ...]:
    """Class names from ``batches.meta`` (the official order when the file is absent)."""
    path = folder / META_FILE
    if not path.is_file():
        return CLASSES
    meta = _unpickle(path)
    names = meta.get("label_names", meta.get(b"label_names")) if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != len(CLASSES):
        raise DataError(f"{path}: expected 'label_names' with {len(CLASSES)} names")
    return tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names)


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that can only build numpy arrays (plus builtin containers and scalars)."""

    _core = getattr(np, "_core", None) or np.core
    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _core.multiarray._reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _core.multiarray._reconstruct,
        ("numpy.core.multiarray", "scalar"): _core.multiarray.scalar,
        ("numpy._core.multiarray", "scalar"): _core.multiarray.scalar,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # bytes in protocol-2 pickles
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise DataError(f"refusing to load {module}.{name}: a CIFAR-10 batch holds only "
                            f"arrays, lists, strings and numbers") from None


def _unpickle(path: Path, digests: dict[str, str] | None = None):
    try:
        raw = path.read_bytes()
        if digests is not None:
            digests[path.name] = hashlib.md5(raw, usedforsecurity=False).hexdigest()
        return _ArraysOnly(io.BytesIO(raw), encoding="latin1").load()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    except Exception as exc:  # a corrupt pickle raises almost any exception type
        reason = str(exc).splitlines()[0] if str(exc) else "unexpected end of data"
        raise DataError(f"{path}: truncated or corrupt CIFAR-10 file ({type(exc).__name__}: "
                        f"{reason})") from None


def _read_batches(paths: list[Path], digests: dict[str, str]) -> Split:
    """The batches one after the other in one tensor, filled batch by batch so that memory
    peaks at the data plus one batch (a plain concatenation would hold the data twice)."""
    images = torch.empty((0, *IMAGE_SHAPE), dtype=torch.uint8)
    labels, n = [], 0
    for i, path in enumerate(paths):
        batch = read_batch(path, digests)
        if n + len(batch) > len(images):  # room for the rest, guessing equal batch sizes
            more = torch.empty((len(batch) * (len(paths) - i), *IMAGE_SHAPE), dtype=torch.uint8)
            images = torch.cat([images[:n], more])
        images[n:n + len(batch)] = batch.images
        labels.append(batch.labels)
        n += len(batch)
    return Split(images[:n], torch.cat(labels))


def write_folder(folder: str | Path, train: Split, test: Split, byte_keys: bool = True) -> Path:
    """Write ``train`` (split over the five training batches) and ``test`` in the official
    layout, protocol-2 pickles with bytes keys (as the official archive loads) or str keys.
    The inverse of :func:`load`; tests use it to make small data sets."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = (lambda k: k.encode()) if byte_keys else (lambda k: k)
    parts = zip(TRAIN_FILES, torch.tensor_split(torch.arange(len(train)), len(TRAIN_FILES)))
    for name, split in [*((n, Split(train.images[i], train.labels[i])) for n, i in parts),
                        (TEST_FILES[0], test)]:
        batch = {key("batch_label"): name.encode(), key("labels"): split.labels.tolist(),
                 key("data"): split.images.reshape(len(split), -1).numpy(),
                 key("filenames"): [f"{name}_{i}.png".encode() for i in range(len(split))]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {key("label_names"): [key(c) for c in CLASSES], key("num_vis"): 3072}
    (folder / META_FILE).write_bytes(pickle.dumps(meta, protocol=2))
    return folder
