"""The committed cross-check report is regenerable: its checkpoints are committed (weights only) and the
report names exactly their sha256 hashes."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import torch

from drt_min.checkpoint import load_checkpoint, load_ensemble, save_checkpoint, sha256_file, weights_only
from drt_min.config import TrainConfig, to_dict
from drt_min.models import LeNetEnsemble

REPORT = pathlib.Path(__file__).resolve().parents[3] / "docs" / "verify" / "crosscheck"


def _stage_hashes(text: str) -> dict[str, str]:
    return dict(re.findall(r"\| (\w+) checkpoint \| .*?sha256 `([0-9a-f]{64})` \|", text))


def test_committed_report_names_exactly_the_committed_checkpoints():
    ckpts = {p.stem: sha256_file(p) for p in sorted((REPORT / "checkpoints").glob("*.pt"))}
    assert set(ckpts) == {"drt", "control"}
    named = _stage_hashes((REPORT / "crosscheck.md").read_text())
    assert named == ckpts
    # the certificates beside them were written from the same files
    for stage, digest in ckpts.items():
        manifest = json.loads((REPORT / "certify" / stage / "manifest.json").read_text())
        assert manifest["extra"]["checkpoint_sha256"] == digest
    for path in (REPORT / "checkpoints").glob("*.pt"):
        payload, _ = load_checkpoint(path)
        weight_bytes = sum(t.numel() * t.element_size() for t in payload["model"].values())
        # weights only: no optimizer state (SGD momentum would double the file)
        assert "optimizer" not in payload and path.stat().st_size < weight_bytes + 100_000


def test_hash_parser_sees_a_different_checkpoint():
    text = "| drt checkpoint | `checkpoints/drt.pt` of the run, sha256 `" + "a" * 64 + "` |\n" \
           "| control checkpoint | x, sha256 `" + "b" * 64 + "` |"
    assert _stage_hashes(text) == {"drt": "a" * 64, "control": "b" * 64}
    assert _stage_hashes(text.replace("a" * 64, "c" * 64)) != {"drt": "a" * 64, "control": "b" * 64}


def test_weights_only_drops_the_optimizer_and_still_loads(tmp_path):
    model = LeNetEnsemble(2, 10)
    cfg = TrainConfig(num_members=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.zeros(1, 1, 28, 28)).sum().backward()
    opt.step()
    src = tmp_path / "full.pt"
    save_checkpoint(src, {"config": to_dict(cfg), "epoch": 1, "model": model.state_dict(), "num_members": 2,
                          "num_classes": 10, "optimizer": opt.state_dict(), "history": []})
    digest = weights_only(src, tmp_path / "weights.pt")
    assert digest == sha256_file(tmp_path / "weights.pt") != sha256_file(src)
    payload, _ = load_checkpoint(tmp_path / "weights.pt")
    assert "optimizer" not in payload
    assert (tmp_path / "weights.pt").stat().st_size < src.stat().st_size
    loaded, meta = load_ensemble(tmp_path / "weights.pt")
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    assert meta["epoch"] == 1


@pytest.mark.parametrize("name", ["drt", "control"])
def test_committed_checkpoints_load_through_the_validated_loader(name):
    model, meta = load_ensemble(REPORT / "checkpoints" / f"{name}.pt")
    assert meta["num_members"] == 3 and meta["config"]["sigma"] == 1.0
