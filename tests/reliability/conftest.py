"""Fixtures of the reliability tests: no network, a tiny checkpoint and a tiny certified run.

Both are built once per session from the synthetic set (seconds on one core) and copied into each
test's own directory, so a test may damage its copy freely.
"""

from __future__ import annotations

import shutil

import pytest
import torch

from tests.helpers.reliability import TINY_CERT, TINY_TRAIN


@pytest.fixture(autouse=True)
def _offline_single_thread(monkeypatch):
    monkeypatch.setenv("DRT_OFFLINE", "1")
    monkeypatch.delenv("DRT_DEBUG", raising=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def _built(tmp_path_factory):
    from drt_min.__main__ import main

    root = tmp_path_factory.mktemp("tiny")
    torch.set_num_threads(1)
    assert main(["train", "--out", str(root / "tiny.pt"), *TINY_TRAIN]) == 0
    assert main(["certify", str(root / "tiny.pt"), "--out", str(root / "run"), *TINY_CERT]) == 0
    return root


@pytest.fixture
def tiny_ckpt(_built, tmp_path):
    """A valid 2-member, 3-class checkpoint of the synthetic set (a fresh copy)."""
    path = tmp_path / "tiny.pt"
    shutil.copy(_built / "tiny.pt", path)
    return path


@pytest.fixture
def tiny_run(_built, tmp_path):
    """A complete certification run of the tiny checkpoint: TSVs and manifest (a fresh copy)."""
    path = tmp_path / "run"
    shutil.copytree(_built / "run", path)
    return path
