"""Finding 2: a checkpoint's declared sizes are checked before any model is built from them, and
a checkpoint can never run code (one ``torch.load``, ``weights_only=True``)."""

from __future__ import annotations

import time

import pytest
import torch

from drt_min.checkpoint import load_checkpoint, load_ensemble
from drt_min.errors import UserError
from tests.helpers.reliability import TINY_CERT, assert_clean_error


def _payload(tiny_ckpt):
    return torch.load(tiny_ckpt, weights_only=True)


@pytest.mark.parametrize("change,message", [
    ({"num_members": 1_000_000}, "num_members"),
    ({"num_classes": 10**9}, "num_classes"),
    ({"num_members": -3}, "num_members"),
    ({"num_members": "2"}, "num_members"),
    ({"num_members": 3}, "config says"),       # declared size disagrees with the tensors' config
    ({"epoch": -1}, "epoch"),
    ({"config": {"sigma": "abc"}}, "configuration"),
    ({"config": ["not", "a", "dict"]}, "configuration"),
    ({"model": {}}, "model state"),
    ({"history": "x"}, "history"),
])
def test_declared_sizes_and_structure_are_checked_before_allocation(tiny_ckpt, change, message):
    path = tiny_ckpt.with_name("crafted.pt")
    torch.save(dict(_payload(tiny_ckpt), **change), path)
    start = time.perf_counter()
    with pytest.raises(UserError, match=message):
        load_ensemble(path)
    assert time.perf_counter() - start < 5.0


def test_a_million_members_claim_is_refused_by_the_cli(tiny_ckpt, tmp_path, capsys):
    path = tmp_path / "million.pt"
    payload = _payload(tiny_ckpt)
    payload["num_members"] = 1_000_000
    payload["config"] = dict(payload["config"], num_members=1_000_000)
    payload["model"] = {k: v[:1] for k, v in payload["model"].items()}  # tiny tensors
    torch.save(payload, path)
    assert_clean_error(capsys, ["certify", path, "--out", tmp_path / "c", *TINY_CERT],
                       names=[path, "num_members"], unchanged=[tmp_path])


def test_tensors_of_the_wrong_shape_or_nan_weights_are_refused(tiny_ckpt):
    payload = _payload(tiny_ckpt)
    for name, tensor in (("fc1_weight", torch.zeros(2, 500, 801)),
                         ("conv1_bias", torch.zeros(2, 20, dtype=torch.int64)),
                         ("fc2_bias", torch.full((2, 3), float("nan")))):
        path = tiny_ckpt.with_name(f"bad_{name}.pt")
        torch.save(dict(payload, model=dict(payload["model"], **{name: tensor})), path)
        with pytest.raises(UserError, match=name):
            load_checkpoint(path)


def test_the_loader_is_the_one_weights_only_load(tiny_ckpt, monkeypatch):
    calls = []
    real = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_ensemble(tiny_ckpt)
    assert calls == [True]


def test_a_sparse_tensor_is_one_error_line(tiny_ckpt, tmp_path, capsys):
    """Third round, finding 12: a sparse tensor was a traceback (isfinite has no sparse kernel)."""
    from tests.helpers.reliability import assert_clean_error

    payload = _payload(tiny_ckpt)
    payload["model"]["fc2_bias"] = payload["model"]["fc2_bias"].to_sparse()
    path = tmp_path / "sparse.pt"
    torch.save(payload, path)
    assert_clean_error(capsys, ["certify", path, "--out", tmp_path / "c", *TINY_CERT],
                       names=[path, "fc2_bias", "sparse"], unchanged=[tmp_path])


def test_torchs_pickle_protocol_warning_is_not_shown(tiny_ckpt, tmp_path):
    """Third round, finding 12: torch warns (two lines) about a pickle protocol other than 2
    before the load fails; the user sees the one ``error:`` line only (a real process, where
    warnings are printed)."""
    import os
    import subprocess
    import sys

    path = tmp_path / "protocol5.pt"
    torch.save(_payload(tiny_ckpt), path, pickle_protocol=5)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-m", "drt_min", "certify", str(path), "--out",
                           str(tmp_path / "c"), *TINY_CERT], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=repo, DRT_OFFLINE="1"), timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), \
        proc.stderr
    assert str(path) in lines[0] and not (tmp_path / "c").exists()
