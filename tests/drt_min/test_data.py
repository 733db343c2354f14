"""MNIST IDX reader (magic, sizes, checksums), data-directory resolution, download, synthetic set."""

from __future__ import annotations

import gzip
import hashlib
import pathlib
import shutil
import struct

import pytest
import torch

from drt_min import data
from tests.helpers.training import require_mnist


def _write_idx(path: pathlib.Path, array: torch.Tensor, *, magic_dtype: int = 0x08,
               compress: bool = True, extra: bytes = b"") -> bytes:
    dims = tuple(array.shape)
    raw = bytes([0, 0, magic_dtype, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + \
        array.to(torch.uint8).numpy().tobytes() + extra
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return raw


def test_read_idx_round_trip_compressed_and_raw(tmp_path):
    arr = torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8)
    _write_idx(tmp_path / "a.gz", arr)
    _write_idx(tmp_path / "a.idx", arr, compress=False)
    assert torch.equal(data.read_idx(tmp_path / "a.gz"), arr)
    assert torch.equal(data.read_idx(tmp_path / "a.idx"), arr)


def test_read_idx_rejects_bad_magic_and_sizes(tmp_path):
    arr = torch.zeros(2, 3, dtype=torch.uint8)
    _write_idx(tmp_path / "float.gz", arr, magic_dtype=0x0D)
    with pytest.raises(ValueError, match="IDX"):
        data.read_idx(tmp_path / "float.gz")
    _write_idx(tmp_path / "long.gz", arr, extra=b"\x00")
    with pytest.raises(ValueError, match="header says"):
        data.read_idx(tmp_path / "long.gz")
    raw = _write_idx(tmp_path / "ok.gz", arr)
    md5 = hashlib.md5(raw).hexdigest()
    assert data.read_idx(tmp_path / "ok.gz", expected=(md5, len(raw), 2050, (2, 3))).shape == (2, 3)
    with pytest.raises(ValueError, match="md5"):
        data.read_idx(tmp_path / "ok.gz", expected=("0" * 32, len(raw), 2050, (2, 3)))
    with pytest.raises(ValueError, match="decompressed bytes"):
        data.read_idx(tmp_path / "ok.gz", expected=(md5, len(raw) + 1, 2050, (2, 3)))
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(tmp_path / "ok.gz", expected=(md5, len(raw), 2051, (2, 3)))


def test_resolve_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DRT_DATA_DIR", str(tmp_path / "env"))
    assert data.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv("DRT_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.resolve_data_dir(None) == tmp_path / "cache" / "drt_min"


def test_missing_files_name_the_directory_and_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="download"):
        data.load_mnist("test", tmp_path)
    with pytest.raises(ValueError):
        data.load_mnist("validation", tmp_path)


def test_load_mnist_shapes_values_and_known_labels():
    root = require_mnist()
    x, y = data.load_mnist("test", root)
    assert x.shape == (10_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (10_000,) and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert torch.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # pixel values are k/255 exactly
    assert torch.equal((x * 255).round() / 255, x)
    xt, yt = data.load_mnist("train", root)
    assert xt.shape == (60_000, 1, 28, 28)
    assert yt[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_load_mnist_rejects_a_corrupted_file(tmp_path):
    root = require_mnist()
    (tmp_path / "mnist").mkdir()
    for name in data.MNIST_FILES:
        shutil.copy(root / "mnist" / name, tmp_path / "mnist" / name)
    target = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(target.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed: still a valid IDX file
    target.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match="md5"):
        data.load_mnist("test", tmp_path)


def test_download_verifies_and_is_atomic_with_a_local_mirror(tmp_path):
    root = require_mnist()
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in data.MNIST_FILES:  # a mirror serving corrupted files
        (bad / name).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    good = (root / "mnist").resolve().as_uri() + "/"
    out = tmp_path / "data"
    with pytest.raises(OSError, match="could not download"):
        data.download(out, mirrors=(bad.as_uri() + "/",), progress=False)
    assert not out.exists(), "no partial or temporary file, nor the directory, may remain"
    mnist_dir = data.download(out, mirrors=(bad.as_uri() + "/", good), progress=False)
    assert sorted(p.name for p in mnist_dir.iterdir()) == sorted(data.MNIST_FILES)
    x, y = data.load_mnist("test", out)
    assert x.shape[0] == 10_000


def test_synthetic_digits_closed_form_nearest_prototype_is_exact():
    x, y, protos = data.synthetic_digits(30, 7, seed=1, jitter=0.25)
    assert x.shape == (210, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    assert torch.bincount(y).tolist() == [30] * 7
    dist = torch.cdist(x.flatten(1), protos.flatten(1))
    assert torch.equal(dist.argmin(1), y)
    # prototypes are pairwise sqrt(2 * 4 * 28) apart
    pd = torch.cdist(protos.flatten(1), protos.flatten(1))
    off = pd[~torch.eye(7, dtype=torch.bool)]
    torch.testing.assert_close(off, torch.full_like(off, (2 * 4 * 28) ** 0.5))


def test_epoch_batches_are_a_permutation():
    gen = torch.Generator().manual_seed(0)
    batches = list(data.epoch_batches(103, 10, gen))
    assert [b.numel() for b in batches] == [10] * 10 + [3]
    assert sorted(torch.cat(batches).tolist()) == list(range(103))
