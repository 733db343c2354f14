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
import os
import pathlib
import struct
import urllib.request

import torch

from drt_min.atomic import atomic_open
from drt_min.seeding import derive_seed

__all__ = [
    "MNIST_FILES",
    "MIRRORS",
    "resolve_data_dir",
    "read_idx",
    "load_mnist",
    "load_split",
    "download",
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
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic: decompress whatever the file name says
        raw = gzip.decompress(raw)
    if expected is not None:
        md5, size, magic_expected, dims_expected = expected
        if len(raw) != size:
            raise ValueError(f"{path}: {len(raw)} decompressed bytes, expected {size}")
        digest = hashlib.md5(raw).hexdigest()
        if digest != md5:
            raise ValueError(f"{path}: md5 {digest} of the decompressed bytes, expected {md5}")
    if len(raw) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    zero, dtype_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 3:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    magic = struct.unpack(">I", raw[:4])[0]
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if expected is not None and (magic != expected[2] or tuple(dims) != expected[3]):
        raise ValueError(f"{path}: magic {magic} dims {dims}, expected {expected[2]} {expected[3]}")
    count = 1
    for d in dims:
        count *= d
    if len(raw) != header + count:
        raise ValueError(f"{path}: {len(raw) - header} data bytes, header says {count}")
    data = torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8)
    return data.reshape(dims)


def load_mnist(split: str, data_dir: str | os.PathLike | None = None,
               device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST ``split`` ('train' or 'test') as (images float32 (M, 1, 28, 28) in [0, 1], labels int64).

    Both tensors live on ``device``. Raises FileNotFoundError naming the directory when a file is
    missing (``python -m drt_min download`` fetches them).
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = resolve_data_dir(data_dir) / "mnist"
    images_name, labels_name = _SPLITS[split]
    for name in (images_name, labels_name):
        if not (root / name).is_file():
            raise FileNotFoundError(
                f"{root / name} not found; put the four MNIST IDX .gz files in {root} "
                f"(or run `python -m drt_min download --data-dir {root.parent}`), or set "
                f"DRT_DATA_DIR / --data-dir to the directory holding mnist/")
    images = read_idx(root / images_name, expected=MNIST_FILES[images_name])
    labels = read_idx(root / labels_name, expected=MNIST_FILES[labels_name])
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    if int(labels.max()) > 9:
        raise ValueError(f"{split}: label {int(labels.max())} outside 0..9")
    x = images.to(device=device, dtype=torch.float32).div_(255.0).unsqueeze(1)
    y = labels.to(device=device, dtype=torch.int64)
    return x, y


def download(data_dir: str | os.PathLike | None = None, *, mirrors: tuple[str, ...] = MIRRORS,
             timeout: float = 60.0, progress: bool = True) -> pathlib.Path:
    """Fetch the four MNIST files into ``<data_dir>/mnist`` (checksum-verified, atomic).

    Each file is written to a temporary file in the target directory, verified (decompressed md5,
    size, magic, dims), fsynced and moved into place with ``os.replace``. Files already present and
    valid are kept. Returns the ``mnist`` directory.
    """
    root = resolve_data_dir(data_dir) / "mnist"
    root.mkdir(parents=True, exist_ok=True)
    for name, expected in MNIST_FILES.items():
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
                    with urllib.request.urlopen(mirror + name, timeout=timeout) as response:
                        while chunk := response.read(1 << 20):
                            out.write(chunk)
                if progress:
                    print(f"downloaded {target}")
                break
            except (OSError, ValueError) as exc:
                errors.append(f"{mirror}: {exc}")
        else:
            raise OSError(f"could not download {name}: " + "; ".join(errors))
    _fsync_dir(root)
    return root


def _fsync_dir(path: pathlib.Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
        raise ValueError("synthetic_digits supports 2..7 classes (disjoint 4-pixel bands)")
    if not 0 <= jitter < 0.26:
        raise ValueError("jitter must lie in [0, 0.26) for the nearest-prototype guarantee")
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
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
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
