"""Finding 3: truncated or corrupt MNIST files are clear errors; ``download`` repairs them; the
commands fetch missing data as ``download`` does, and offline say where to put the files."""

from __future__ import annotations

import gzip
import shutil

import pytest

from drt_min import data
from drt_min.errors import MissingInputError, UserError
from tests.helpers.reliability import assert_clean_error
from tests.helpers.training import require_mnist


def _copy_mnist(dst):
    src = require_mnist() / "mnist"
    (dst / "mnist").mkdir(parents=True)
    for name in data.MNIST_FILES:
        shutil.copy(src / name, dst / "mnist" / name)
    return dst / "mnist"


def _local_fetch(calls):
    src = require_mnist() / "mnist"

    def fetch(url, out, *, timeout, progress):
        calls.append(url)
        out.write((src / url.rsplit("/", 1)[-1]).read_bytes())
    return fetch


def _offline(url, out, *, timeout, progress):
    raise OSError("network unreachable")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "bomb"])
def test_damaged_gz_files_are_one_line_errors_naming_the_file(damage, tmp_path, capsys):
    root = _copy_mnist(tmp_path / "d")
    target = root / "t10k-labels-idx1-ubyte.gz"
    raw = target.read_bytes()
    target.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": raw[:10] + b"\xff" * 50,
                        "empty": b"", "bomb": gzip.compress(b"\0" * 20_000_000)}[damage])
    with pytest.raises(UserError, match="t10k-labels"):
        data.load_mnist("test", tmp_path / "d")
    with pytest.raises(UserError, match="t10k-labels"):
        data.read_idx(target)
    if damage == "truncate":  # the command line: one line naming the file, nothing written
        labels = root / "train-labels-idx1-ubyte.gz"
        labels.write_bytes(labels.read_bytes()[:2000])
        assert_clean_error(capsys, ["train", "--out", tmp_path / "t.pt", "--data-dir",
                                    tmp_path / "d", "--no-progress"],
                           names=[labels, "download"], unchanged=[tmp_path])


def test_download_repairs_a_truncated_file_and_offline_is_one_line(tmp_path, monkeypatch, capsys):
    root = _copy_mnist(tmp_path / "d")
    target = root / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    monkeypatch.setattr(data, "_fetch", _offline)
    message = assert_clean_error(capsys, ["download", "--data-dir", tmp_path / "d"],
                                 names=["t10k-images-idx3-ubyte.gz"], unchanged=[tmp_path])
    assert "network unreachable" in message
    calls = []
    monkeypatch.setattr(data, "_fetch", _local_fetch(calls))
    assert data.download(tmp_path / "d", progress=False) == root
    assert [c.rsplit("/", 1)[-1] for c in calls] == ["t10k-images-idx3-ubyte.gz"]
    assert data.load_mnist("test", tmp_path / "d")[0].shape == (10_000, 1, 28, 28)


def test_train_fetches_missing_mnist_like_download(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DRT_OFFLINE")
    monkeypatch.delenv("DRT_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(data, "_fetch", _local_fetch(calls))
    root = data.ensure_mnist(None, progress=False)
    assert root == tmp_path / "cache" / "drt_min" / "mnist" and len(calls) == 4
    assert sorted(p.name for p in root.iterdir()) == sorted(data.MNIST_FILES)
    assert data.ensure_mnist(None) == root and len(calls) == 4  # present files are kept


@pytest.mark.parametrize("command", ["run", "train", "certify"])
def test_offline_without_data_says_where_to_put_the_files(command, tmp_path, monkeypatch, capsys,
                                                           tiny_ckpt):
    monkeypatch.delenv("DRT_OFFLINE")
    monkeypatch.setattr(data, "_fetch", _offline)
    empty = tmp_path / "nodata"
    argv = {"run": ["run", "--out", tmp_path / "r", "--data-dir", empty, "--no-progress"],
            "train": ["train", "--out", tmp_path / "t.pt", "--data-dir", empty, "--no-progress"],
            "certify": ["certify", tiny_ckpt, "--out", tmp_path / "c", "--data-dir", empty,
                        "--no-progress"]}[command]
    if command == "certify":  # the tiny checkpoint trained on the synthetic set: ask for MNIST
        import torch

        payload = torch.load(tiny_ckpt, weights_only=True)
        payload["config"]["synthetic"] = 0
        torch.save(payload, tiny_ckpt)
    before = sorted(p.name for p in tmp_path.iterdir())
    message = assert_clean_error(capsys, argv, names=[empty / "mnist", "network unreachable"])
    assert "put the four MNIST IDX .gz files" in message
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "nodata")
    assert after == before, "only the data directory may have been created"
    with pytest.raises(MissingInputError):
        data.load_mnist("test", empty)
