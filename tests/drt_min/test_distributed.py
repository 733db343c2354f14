"""torchrun: two gloo processes on CPU each certify a shard and rank 0 merges."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

from drt_min import results as res
from drt_min.certify import certify_dataset
from drt_min.distributed import rank_device, world_from_env
from tests.helpers.certify import tiny_ensemble

ROOT = pathlib.Path(__file__).resolve().parents[2]

_WORKER = textwrap.dedent("""
    import sys, torch
    sys.path.insert(0, {root!r})
    torch.set_num_threads(1)
    from tests.helpers.certify import tiny_ensemble
    from drt_min.distributed import certify_distributed
    model = tiny_ensemble(num_members=3, num_classes=4, seed=6)
    gen = torch.Generator().manual_seed(2)
    images = torch.rand(9, 1, 6, 6, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 4, (9,), generator=gen)
    paths = certify_distributed(model, images, labels, [8, 1, 2, 4, 5], out_dir={out!r}, sigma=0.25,
                                n0=30, n=500, alpha=0.01, batch_size=128, seed=4, device="cpu",
                                progress=False)
    rank = __import__("os").environ["RANK"]
    with open({out!r} + f".rank{{rank}}", "w") as fh:  # one file per rank: stdout interleaves
        fh.write(str(paths is not None))
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _table(run_dir, names):
    return {n: [(r.idx, r.label, r.predict, r.radius, r.correct) for r in res.read_tsv(run_dir / f"{n}.tsv")]
            for n in names}


def test_torchrun_two_gloo_ranks_merge_to_the_single_process_result(tmp_path):
    script = tmp_path / "worker.py"
    out = tmp_path / "run"
    script.write_text(_WORKER.format(root=str(ROOT), out=str(out)))
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "1",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), str(script)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=150, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (tmp_path / "run.rank0").read_text() == "True"      # rank 0 merged
    assert (tmp_path / "run.rank1").read_text() == "False"

    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete" and man["indices"] == [8, 1, 2, 4, 5]
    assert man["merged_from"] == ["shards/0-of-2", "shards/1-of-2"]
    shard_sizes = [len(json.loads((out / d / "manifest.json").read_text())["indices"])
                   for d in man["merged_from"]]
    assert shard_sizes == [2, 3]

    model = tiny_ensemble(num_members=3, num_classes=4, seed=6)
    gen = torch.Generator().manual_seed(2)
    images = torch.rand(9, 1, 6, 6, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 4, (9,), generator=gen)
    single = tmp_path / "single"
    certify_dataset(model, images, labels, [8, 1, 2, 4, 5], out_dir=single, sigma=0.25, n0=30, n=500,
                    alpha=0.01, batch_size=64, seed=4, device="cpu", progress=False)
    names = man["protocols"]
    assert _table(out, names) == _table(single, names)


def test_world_from_env_and_rank_device(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert world_from_env() is None
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert world_from_env() == (3, 4, 1)
    if not torch.cuda.is_available():
        assert rank_device("auto", 1) == torch.device("cpu")
    assert rank_device("cpu", 1) == torch.device("cpu")


def test_certify_distributed_needs_torchrun(monkeypatch, tmp_path):
    from drt_min.distributed import certify_distributed

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ValueError, match="torchrun"):
        certify_distributed(None, None, None, [0], out_dir=tmp_path)
