"""MNIST from the four original IDX files, held on the device as one tensor; plus a synthetic set.

The data directory is the ``data_dir`` argument, else the ``DRT_DATA_DIR`` environment variable,
else a per-user cache directory (``$XDG_CACHE_HOME/drt_min`` or ``~/.cache/drt_min``). It holds
``mnist/`` with ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``. The reader checks the md5 of the
decompressed bytes (robust to a recompressed .gz), the IDX magic numbers, the dimensions and the
sizes. :func:`download` fetches the files for users with a network, verifies them the same way and
moves each into place atomically.

:func:`load_split` gives the images of a training configuration: MNIST, or the synthetic set that
tests train and certify on. Batches are index slices of the device tensor: :func:`epoch_batches` yields index tensors of a
random permutation, no per-sample Python.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pathlib
import struct
import sys
import urllib.request
import zlib

import torch
from tqdm.auto import tqdm

from drt_min.atomic import atomic_open, fsync_dir
from drt_min.errors import MissingInputError, UserError, check_output_dir, one_line
from drt_min.seeding import derive_seed

__all__ = [
    "MNIST_FILES",
    "MIRRORS",
    "resolve_data_dir",
    "read_idx",
    "load_mnist",
    "load_split",
    "download",
    "ensure_mnist",
    "synthetic_digits",
    "epoch_batches",
]

# file -> (md5 of the decompressed bytes, decompressed size, magic, dims)
MNIST_FILES: dict[str, tuple[str, int, int, tuple[int, ...]]] = {
    "train-images-idx3-ubyte.gz": ("6bbc9ace898e44ae57da46a324031adb", 47_040_016, 2051,
                                   (60_000, 28, 28)),
    "train-labels-idx1-ubyte.gz": ("a25bea736e30d166cdddb491f175f624", 60_008, 2049, (60_000,)),
    "t10k-images-idx3-ubyte.gz": ("2646ac647ad5339dbf082846283269ea", 7_840_016, 2051,
                                  (10_000, 28, 28)),
    "t10k-labels-idx1-ubyte.gz": ("27ae3e4e09519cfbb04c329615203637", 10_008, 2049, (10_000,)),
}
_SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
           "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
#: Largest decompressed IDX file read without an expected size (the MNIST training images: 47 MB).
MAX_IDX_BYTES = 64 << 20
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The directory that holds ``mnist/``: argument, else ``$DRT_DATA_DIR``, else the user cache."""
    if data_dir:
        return pathlib.Path(data_dir).expanduser()
    env = os.environ.get("DRT_DATA_DIR")
    if env:
        return pathlib.Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(cache) / "drt_min"


def read_idx(path: str | os.PathLike, *, expected: tuple[str, int, int, tuple[int, ...]] | None
             = None) -> torch.Tensor:
    """Read one IDX file (gzip-compressed or not) of unsigned bytes into a uint8 tensor, validating it.

    ``expected`` is ``(md5 of the decompressed bytes, size, magic, dims)``; when given, every part is
    checked. Without it the header alone is validated against the file size.
    """
    path = pathlib.Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise MissingInputError(f"{path} not found") from exc
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({one_line(exc)})") from exc
    if raw[:2] == b"\x1f\x8b":  # gzip magic: decompress whatever the file name says
        cap = expected[1] if expected is not None else MAX_IDX_BYTES
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(cap + 1)  # bounded: a small .gz cannot expand without limit
        except (EOFError, OSError, zlib.error) as exc:
            raise UserError(f"{path}: truncated or corrupt gzip ({type(exc).__name__}); delete "
                            f"it and run `python -m drt_min download --data-dir "
                            f"{path.parent.parent}`") from exc
        if len(raw) > cap:
            raise UserError(f"{path}: decompresses to more than {cap} bytes; not an MNIST file")
    if expected is not None:
        md5, size, magic_expected, dims_expected = expected
        if len(raw) != size:
            raise UserError(f"{path}: {len(raw)} decompressed bytes, expected {size}; delete it "
                            f"and run `python -m drt_min download --data-dir {path.parent.parent}`")
        digest = hashlib.md5(raw).hexdigest()
        if digest != md5:
            raise UserError(f"{path}: md5 {digest} of the decompressed bytes, expected {md5}; "
                            f"delete it and run `python -m drt_min download --data-dir "
                            f"{path.parent.parent}`")
    if len(raw) < 4:
        raise UserError(f"{path}: too short for an IDX header")
    zero, dtype_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 3:
        raise UserError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    magic = struct.unpack(">I", raw[:4])[0]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path}: too short for an IDX header of {ndim} dimensions")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if expected is not None and (magic != expected[2] or tuple(dims) != expected[3]):
        raise UserError(f"{path}: magic {magic} dims {dims}, expected {expected[2]} {expected[3]}")
    count = 1
    for d in dims:
        count *= d
    if len(raw) != header + count:
        raise UserError(f"{path}: {len(raw) - header} data bytes, header says {count}")
    if count == 0:
        return torch.empty(dims, dtype=torch.uint8)
    data = torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8)
    return data.reshape(dims)


def load_mnist(split: str, data_dir: str | os.PathLike | None = None,
               device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST ``split`` ('train' or 'test') as (images float32 (M, 1, 28, 28) in [0, 1], labels int64).

    Both tensors live on ``device``. Missing files are fetched as ``python -m drt_min download``
    does (:func:`ensure_mnist`); without a network this raises :class:`MissingInputError` (a
    ``FileNotFoundError``) saying where to put them.
    """
    if split not in _SPLITS:
        raise UserError(f"split must be 'train' or 'test', got {split!r}")
    root = resolve_data_dir(data_dir) / "mnist"
    images_name, labels_name = _SPLITS[split]
    if not all((root / name).is_file() for name in (images_name, labels_name)):
        ensure_mnist(data_dir)
    images = read_idx(root / images_name, expected=MNIST_FILES[images_name])
    labels = read_idx(root / labels_name, expected=MNIST_FILES[labels_name])
    if images.shape[0] != labels.shape[0]:
        raise UserError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    if int(labels.max()) > 9:
        raise UserError(f"{split}: label {int(labels.max())} outside 0..9")
    x = images.to(device=device, dtype=torch.float32).div_(255.0).unsqueeze(1)
    y = labels.to(device=device, dtype=torch.int64)
    return x, y


def _missing_message(root: pathlib.Path, why: str) -> str:
    return (f"MNIST is not in {root} and could not be downloaded ({why}); put the four MNIST IDX "
            f".gz files ({', '.join(MNIST_FILES)}) in {root}, or set DRT_DATA_DIR / --data-dir to "
            f"the directory holding mnist/, then rerun (or `python -m drt_min download "
            f"--data-dir {root.parent}` on a machine with a network)")


def ensure_mnist(data_dir: str | os.PathLike | None = None, *, progress: bool = True
                 ) -> pathlib.Path:
    """The ``mnist`` directory, fetching missing files as :func:`download` does.

    Files already present are left as they are (they are verified when read). Set
    ``DRT_OFFLINE=1`` to never try the network. Without the files and without a network this
    raises :class:`MissingInputError` saying where to put them.
    """
    root = resolve_data_dir(data_dir) / "mnist"
    missing = [name for name in MNIST_FILES if not (root / name).is_file()]
    if not missing:
        return root
    if root.exists() and not root.is_dir():
        raise UserError(f"{root} is a file; --data-dir must name a directory holding mnist/")
    if os.environ.get("DRT_OFFLINE", "") not in ("", "0"):
        raise MissingInputError(_missing_message(root, "DRT_OFFLINE is set"))
    try:
        return download(data_dir, progress=progress, names=missing)
    except UserError as exc:
        raise MissingInputError(_missing_message(root, one_line(exc))) from exc


def _fetch(url: str, out, *, timeout: float, progress: bool) -> None:
    """Copy ``url`` into the open binary file ``out`` (the one network access of the package)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                  disable=None if progress else True, leave=False) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                bar.update(len(chunk))


def download(data_dir: str | os.PathLike | None = None, *, mirrors: tuple[str, ...] = MIRRORS,
             timeout: float = 60.0, progress: bool = True,
             names: list[str] | None = None) -> pathlib.Path:
    """Fetch the four MNIST files into ``<data_dir>/mnist`` (checksum-verified, atomic).

    Each file is written to a temporary file in the target directory, verified (decompressed md5,
    size, magic, dims), fsynced and moved into place with ``os.replace``. Files already present and
    valid are kept; a present but truncated or corrupt file is fetched again. ``names`` limits the
    files considered. Returns the ``mnist`` directory; when a file cannot be fetched from any
    mirror, raises :class:`UserError` naming it and the mirrors' errors.
    """
    root = resolve_data_dir(data_dir) / "mnist"
    check_output_dir(root, "--data-dir")
    created = [p for p in (root, *root.parents) if not p.exists()]
    try:
        root.mkdir(parents=True, exist_ok=True)
        _fetch_missing(root, mirrors, timeout, progress, names)
    except BaseException as exc:
        for p in created:  # a failed download leaves no directory it created behind
            try:
                p.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError) and not isinstance(exc, UserError):
            raise UserError(f"cannot write {root} ({one_line(exc)}); choose a writable "
                            "--data-dir") from exc
        raise
    fsync_dir(root)
    return root


def _fetch_missing(root: pathlib.Path, mirrors, timeout: float, progress: bool, names) -> None:
    for name, expected in MNIST_FILES.items():
        if names is not None and name not in names:
            continue
        target = root / name
        if target.is_file():
            try:
                read_idx(target, expected=expected)
                continue
            except ValueError:
                pass
        errors = []
        for mirror in mirrors:
            try:
                with atomic_open(target, "wb", check=lambda tmp: read_idx(tmp, expected=expected)) as out:
                    _fetch(mirror + name, out, timeout=timeout, progress=progress)
                if progress:
                    print(f"downloaded {target}", file=sys.stderr)
                break
            except (OSError, ValueError) as exc:
                errors.append(f"{mirror}: {one_line(exc)}")
        else:
            raise MissingInputError(f"could not download {name} ({'; '.join(errors)}); without a "
                            f"network, put the four MNIST IDX .gz files in {root}")


def synthetic_digits(num_per_class: int, num_classes: int = 10, *, seed: int = 0,
                     jitter: float = 0.05, device: str | torch.device = "cpu"
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A small MNIST-shaped set with a closed-form answer: (images, labels, prototypes).

    Class c is a fixed 28x28 prototype (a bar of ones in its own 4-pixel-wide column band, i.e.
    disjoint supports) plus uniform jitter in [-jitter, jitter], clamped to [0, 1]. The prototypes
    are pairwise at L2 distance ``sqrt(2 * 4 * 28) = 14.97`` and the jitter moves an image by at most
    ``jitter * 28``, so with ``jitter < 0.26`` the nearest-prototype rule is exactly right on every
    image (Bayes accuracy 1), and any reasonable classifier trained on it reaches 100% training
    accuracy. Labels are ``arange(num_classes)`` repeated, in a seeded random order.
    """
    if not 2 <= num_classes <= 7:
        raise UserError("synthetic_digits supports 2..7 classes (disjoint 4-pixel bands)")
    if not 0 <= jitter < 0.26:
        raise UserError("jitter must lie in [0, 0.26) for the nearest-prototype guarantee")
    gen = torch.Generator().manual_seed(seed)
    protos = torch.zeros(num_classes, 1, 28, 28)
    for c in range(num_classes):
        protos[c, 0, :, 4 * c: 4 * c + 4] = 1.0
    labels = torch.arange(num_classes).repeat(num_per_class)
    labels = labels[torch.randperm(labels.numel(), generator=gen)]
    noise = (torch.rand(labels.numel(), 1, 28, 28, generator=gen) * 2 - 1) * jitter
    images = (protos[labels] + noise).clamp_(0, 1)
    return images.to(device), labels.to(device), protos.to(device)


def load_split(split: str, cfg, device: str | torch.device = "cpu"
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """The (images, labels) of ``split`` for a :class:`~drt_min.config.TrainConfig` ``cfg``.

    MNIST from ``cfg.data_dir``, or with ``cfg.synthetic = K`` the synthetic set of
    :func:`synthetic_digits` (K images per class for 'train', K // 4 for 'test', at most 7
    classes, seeded by ``(cfg.seed, "synthetic", split)``). ``cfg.train_subset`` is applied by
    the trainer, not here.
    """
    if split not in _SPLITS:
        raise UserError(f"split must be 'train' or 'test', got {split!r}")
    if cfg.synthetic > 0:
        per_class = cfg.synthetic if split == "train" else max(1, cfg.synthetic // 4)
        images, labels, _ = synthetic_digits(per_class, min(cfg.num_classes, 7),
                                             seed=derive_seed(cfg.seed, "synthetic", split),
                                             device=device)
        return images, labels
    return load_mnist(split, cfg.data_dir or None, device)


def epoch_batches(num: int, batch_size: int, generator: torch.Generator,
                  device: str | torch.device = "cpu", drop_last: bool = False):
    """Index tensors of one epoch's batches, from a permutation drawn with ``generator`` (on CPU)."""
    perm = torch.randperm(num, generator=generator).to(device)
    stop = num - num % batch_size if drop_last else num
    for start in range(0, stop, batch_size):
        yield perm[start:start + batch_size]
