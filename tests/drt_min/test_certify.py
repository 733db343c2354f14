"""The batched certifier: reference equality, invariances, soundness, resume, shards and the CLI."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import pathlib

import numpy as np
import pytest
import torch
from scipy.stats import binomtest

from drt_min import results as res
from drt_min.certify import certificates_from_counts, certify_dataset, count_votes, parse_shard, shard_range
from drt_min.ensemble import ProtocolClassifier, protocol_names
from drt_min.models import LeNetEnsemble
from drt_min.smoothing import Smooth, lower_confidence_bound, radius_from_bound
from tests.helpers.certify import ThresholdEnsemble, reference_certificates, tiny_ensemble

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _data(num=8, seed=1, num_classes=4, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(num, 1, 6, 6, generator=gen, dtype=torch.float64) * scale
    labels = torch.randint(0, num_classes, (num,), generator=gen)
    return images, labels


def _table(paths):
    """{protocol: [(idx, label, predict, radius, correct)]}: every column but the time."""
    return {name: [(r.idx, r.label, r.predict, r.radius, r.correct) for r in res.read_tsv(p)]
            for name, p in paths.items()}


KW = dict(sigma=0.25, n0=40, n=600, alpha=0.01, seed=5, device="cpu", progress=False)


@pytest.mark.parametrize("batch_size", [37, 256])
def test_batched_path_equals_reference_loop(tmp_path, batch_size):
    model = tiny_ensemble(num_members=3, num_classes=4, seed=0)
    images, labels = _data()
    indices = [0, 2, 3, 5, 7]
    paths = certify_dataset(model, images, labels, indices, batch_size=batch_size,
                            out_dir=tmp_path, weights=[0.5, 0.2, 0.3], **KW)
    assert list(paths) == protocol_names(3) + ["eas"]
    got = _table(paths)
    ref = reference_certificates(model, images, indices, protocols=list(paths), sigma=0.25, n0=40,
                                 n=600, alpha=0.01, batch_size=50, seed=5, weights=[0.5, 0.2, 0.3])
    for name in paths:
        assert [(p, r) for (_, _, p, r, _) in got[name]] == ref[name], name
        assert [i for (i, *_rest) in got[name]] == indices
        assert [c for (*_r, c) in got[name]] == [int(p == int(labels[i])) for i, (p, _) in
                                                  zip(indices, ref[name])]
    # the run is not trivial: some certificates and some abstentions
    flat = [p for name in paths for (_, _, p, _, _) in got[name]]
    assert any(p == -1 for p in flat) and any(p >= 0 for p in flat)


@pytest.mark.parametrize("ensemble", ["mlp", "lenet"])
def test_smooth_certify_equals_the_batched_row_for_every_protocol(tmp_path, ensemble):
    """One Algorithm CERTIFY: ``Smooth(protocol).certify(x, ..., seed, index)`` is the batched
    certifier's row of image ``index``, for WE (with unequal weights), MME and every member."""
    if ensemble == "mlp":
        model, (images, labels), sigma = tiny_ensemble(num_members=3, num_classes=4, seed=2), \
            _data(num=6, seed=3), 0.4
    else:
        torch.manual_seed(0)
        model = LeNetEnsemble(3, 10).eval()
        gen = torch.Generator().manual_seed(4)
        images, labels, sigma = torch.rand(6, 1, 28, 28, generator=gen), torch.arange(6), 0.5
    weights = [0.2, 0.5, 0.3]
    indices = [1, 4, 5]
    kw = dict(sigma=sigma, n0=30, n=1100, alpha=0.05, seed=8)
    paths = certify_dataset(model, images, labels, indices, batch_size=256, out_dir=tmp_path,
                            weights=weights, device="cpu", progress=False, **kw)
    rows = _table(paths)
    num_classes = int(model(images[:1]).shape[-1])
    for protocol in protocol_names(3):
        smooth = Smooth(ProtocolClassifier(model, protocol, weights), num_classes, sigma)
        for (idx, _, predict, radius, _) in rows[protocol]:
            got = smooth.certify(images[idx], kw["n0"], kw["n"], kw["alpha"], 300, seed=kw["seed"],
                                 index=idx)
            assert got == (predict, radius), (protocol, idx)
    assert any(r[2] != -1 for table in rows.values() for r in table)  # not all abstentions


def test_eas_and_members_equal_reference_on_agreeing_members(tmp_path):
    model = ThresholdEnsemble([0.3, 0.5, 0.9])
    images = torch.zeros(4, 1, 2, 2, dtype=torch.float64)
    images[:, 0, 0, 0] = torch.tensor([-0.9, -0.4, 0.1, 0.6], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1])
    paths = certify_dataset(model, images, labels, range(4), batch_size=128, out_dir=tmp_path, **KW)
    got = _table(paths)
    ref = reference_certificates(model, images, range(4), protocols=list(paths), sigma=0.25, n0=40,
                                 n=600, alpha=0.01, batch_size=600, seed=5)
    for name in paths:
        assert [(p, r) for (_, _, p, r, _) in got[name]] == ref[name], name
    assert any(p >= 0 for (_, _, p, _, _) in got["eas"])


@pytest.mark.gpu
def test_batched_path_equals_reference_loop_on_cuda(tmp_path):
    model = tiny_ensemble(num_members=3, num_classes=4, seed=0).cuda()
    images, labels = _data()
    images = images.cuda()
    paths = certify_dataset(model, images, labels, [1, 4], batch_size=256, out_dir=tmp_path,
                            **{**KW, "device": "cuda"})
    ref = reference_certificates(model, images, [1, 4], protocols=list(paths), sigma=0.25, n0=40,
                                 n=600, alpha=0.01, batch_size=50, seed=5)
    for name, rows in _table(paths).items():
        assert [(p, r) for (_, _, p, r, _) in rows] == ref[name], name


def test_results_do_not_depend_on_batch_size_or_images_per_batch(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3, seed=3)
    images, labels = _data(num=5, num_classes=3)
    kw = {**KW, "n": 2300}
    a = _table(certify_dataset(model, images, labels, range(5), batch_size=64, out_dir=tmp_path / "a", **kw))
    b = _table(certify_dataset(model, images, labels, range(5), batch_size=5000, out_dir=tmp_path / "b", **kw))
    c = _table(certify_dataset(model, images, labels, [3], batch_size=999, out_dir=tmp_path / "c", **kw))
    assert a == b
    assert all(c[name] == [row for row in a[name] if row[0] == 3] for name in a)


def test_count_votes_totals_and_device_counting():
    model = tiny_ensemble(num_members=2, num_classes=3, seed=1)
    images, _ = _data(num=3, num_classes=3)
    counts = count_votes(model, images, [0, 1, 2], sigma=0.5, n0=17, n=1234, seed=0, batch_size=100,
                         weights=torch.tensor([0.5, 0.5], dtype=torch.float64), num_protocols=4,
                         num_classes=3)
    assert counts.shape == (3, 2, 4, 3) and counts.dtype == torch.long
    assert torch.all(counts[:, 0].sum(-1) == 17) and torch.all(counts[:, 1].sum(-1) == 1234)


def test_lenet_ensemble_votes_do_not_depend_on_the_batch_size():
    """The real model on CPU: its inference path gives the same counts at any batch size."""
    from drt_min.models import LeNetEnsemble

    torch.manual_seed(0)
    model = LeNetEnsemble(3, 10).eval()
    images = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    kw = dict(sigma=0.5, n0=30, n=170, seed=4, weights=torch.full((3,), 1 / 3), num_protocols=5,
              num_classes=10)
    with torch.inference_mode():
        counts = [count_votes(model, images, [0, 1, 2], batch_size=b, **kw) for b in (1, 37, 600)]
    assert torch.equal(counts[0], counts[1]) and torch.equal(counts[0], counts[2])
    assert int((counts[0][:, 1, 0] > 0).sum()) > 3  # noisy votes spread over several classes


def test_certificates_from_counts_follow_algorithm_certify():
    n, alpha, sigma = 100, 0.01, 0.5
    counts = np.zeros((1, 2, 4, 3), dtype=np.int64)      # 1 image, 2 members -> 4 EBS protocols
    counts[0, 0] = [[0, 10, 0], [10, 0, 0], [0, 10, 0], [5, 5, 0]]
    counts[0, 1] = [[0, 100, 0], [40, 60, 0], [0, 70, 30], [100, 0, 0]]
    pred, radius = certificates_from_counts(counts, n=n, alpha=alpha, sigma=sigma)
    # WE: cA = 1 with 100 / 100 -> radius sigma Phi^-1(alpha^(1/n))
    assert pred[0, 0] == 1 and radius[0, 0] == float(radius_from_bound(alpha ** (1 / n), sigma))
    # MME: cA = 0 selected, but only 40 / 100 in estimation -> abstain, radius 0
    assert pred[0, 1] == -1 and radius[0, 1] == 0.0
    # member0: cA = 1 with 70 / 100
    assert pred[0, 2] == 1
    assert radius[0, 2] == float(radius_from_bound(lower_confidence_bound(70, n, alpha), sigma))
    # member1: selection tie goes to class 0, estimation agrees
    assert pred[0, 3] == 0 and radius[0, 3] > 0
    # EAS: member0's top count 10 and member1's 5 -> y0 = 1; member1 never votes 1 -> abstain
    assert pred[0, 4] == -1 and radius[0, 4] == 0.0
    assert float(radius_from_bound(0.5, sigma)) == 0.0


def test_warns_and_validates(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3)
    images, labels = _data(num=2, num_classes=3)
    with pytest.warns(UserWarning, match="never certify"):
        paths = certify_dataset(model, images, labels, [0], batch_size=8,
                                out_dir=tmp_path / "w", **{**KW, "n": 8, "alpha": 0.001})
    assert all(r.predict == -1 for p in paths.values() for r in res.read_tsv(p))
    # n = 10 certifies single protocols at 0.001 but EAS needs alpha / 2: warned separately.
    with pytest.warns(UserWarning, match="alpha=0.0005"):
        certify_dataset(model, images, labels, [0], batch_size=8, out_dir=tmp_path / "x",
                        **{**KW, "n": 10, "alpha": 0.001})
    for bad in (dict(sigma=0.0), dict(n=0), dict(alpha=1.0)):
        with pytest.raises(ValueError):
            certify_dataset(model, images, labels, [0], batch_size=8, out_dir=tmp_path / "y",
                            **{**KW, **bad})
    with pytest.raises(ValueError):
        certify_dataset(model, images, labels, [0, 0], batch_size=8, out_dir=tmp_path / "z", **KW)
    with pytest.raises(ValueError):
        certify_dataset(model, images, labels, [5], batch_size=8, out_dir=tmp_path / "z", **KW)


def test_manifest_records_the_run(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3)
    images, labels = _data(num=3, num_classes=3)
    certify_dataset(model, images, labels, [2, 0], batch_size=64, out_dir=tmp_path,
                    manifest_extra={"checkpoint_sha256": "ab" * 32}, **KW)
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["status"] == "complete"
    assert (man["sigma"], man["n0"], man["n"], man["alpha"], man["seed"]) == (0.25, 40, 600, 0.01, 5)
    assert man["indices"] == [2, 0] and man["device"] == "cpu"
    assert man["extra"]["checkpoint_sha256"] == "ab" * 32
    assert set(man["versions"]) >= {"torch", "numpy", "scipy", "python"}
    assert man["protocols"] == ["we", "mme", "member0", "member1", "eas"]
    assert man["eas_alpha_per_member"] == 0.005


def test_rerun_with_tuple_settings_resumes_instead_of_refusing(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3)
    images, labels = _data(num=3, num_classes=3)
    extra = {"checkpoint_sha256": "cd" * 32, "shape": (1, 6, 6)}
    for _ in range(2):
        certify_dataset(model, images, labels, [0, 1], batch_size=64, out_dir=tmp_path,
                        manifest_extra=extra, **KW)
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["resumed_at_image"] == 2 and man["extra"]["shape"] == [1, 6, 6]
    assert len(res.read_tsv(tmp_path / "we.tsv")) == 2


# --- statistical soundness on classifiers with closed-form smoothed probabilities -----------------

def _soundness_failures(tmp_path, offsets, x0, reps, *, sigma, n, alpha, true_class, true_radius):
    """Certify ``reps`` independent copies of x0; count certificates that are wrong or too large."""
    model = ThresholdEnsemble(offsets)
    images = torch.zeros(reps, 1, 1, 2, dtype=torch.float64)
    images[:, 0, 0, 0] = x0
    labels = torch.full((reps,), true_class)
    paths = certify_dataset(model, images, labels, range(reps), sigma=sigma, n0=20, n=n, alpha=alpha,
                            batch_size=4096, seed=123, out_dir=tmp_path, device="cpu", progress=False)
    failures = {}
    for name, path in paths.items():
        rows = res.read_tsv(path)
        failures[name] = sum(1 for r in rows if r.predict != -1
                             and (r.predict != true_class or r.radius > true_radius[name]))
        failures[name + ":certified"] = sum(1 for r in rows if r.predict != -1)
    return failures


def _check_soundness(tmp_path, reps, n):
    sigma, alpha = 0.5, 0.1
    offsets = [0.05, 0.2, 0.35]
    x0 = 0.1
    # member i is a half space x_0 + b_i > 0: smoothed, it predicts class 1 with exact radius x0 + b_i;
    # EAS switches class at x_0 = -(max b + min b) / 2, so its exact radius is x0 + (max b + min b) / 2.
    true_radius = {"member0": x0 + 0.05, "member1": x0 + 0.2, "member2": x0 + 0.35,
                   "eas": x0 + (0.35 + 0.05) / 2}
    fails = _soundness_failures(tmp_path, offsets, x0, reps, sigma=sigma, n=n, alpha=alpha,
                                true_class=1, true_radius={**true_radius, "we": np.inf, "mme": np.inf})
    for name in ("member0", "member1", "member2", "eas"):
        assert fails[name + ":certified"] > reps // 2, (name, fails)   # the check has power
        p = binomtest(fails[name], reps, alpha, alternative="greater").pvalue
        assert p > 1e-3, (name, fails[name], reps)
    return fails


def test_soundness_rate_within_alpha(tmp_path):
    _check_soundness(tmp_path, reps=300, n=400)


@pytest.mark.slow
def test_soundness_rate_within_alpha_thorough(tmp_path):
    _check_soundness(tmp_path, reps=10000, n=1000)


def test_soundness_check_detects_an_overconfident_certifier(tmp_path, monkeypatch):
    """With the point estimate in place of the lower bound the same check fails."""
    import drt_min.ensemble as ens
    import drt_min.smoothing as smoothing

    def point_estimate(k, n, alpha):
        return np.asarray(k, dtype=np.float64) / n

    monkeypatch.setattr(smoothing, "lower_confidence_bound", point_estimate)
    monkeypatch.setattr(ens, "lower_confidence_bound", point_estimate)
    with pytest.raises(AssertionError):
        _check_soundness(tmp_path, reps=300, n=400)


# --- resume ------------------------------------------------------------------------------------

_SCRIPT = textwrap.dedent("""
    import sys, time, torch
    sys.path.insert(0, {root!r})
    from tests.helpers.certify import tiny_ensemble
    from drt_min.certify import certify_dataset
    torch.set_num_threads(1)
    inner = tiny_ensemble(num_members=3, num_classes=4, seed=0)

    def model(x):  # slowed down so that the run is still going when it is killed
        time.sleep({delay})
        return inner(x)

    gen = torch.Generator().manual_seed(1)
    images = torch.rand(40, 1, 6, 6, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 4, (40,), generator=gen)
    certify_dataset(model, images, labels, list(range(0, 40, 2)), sigma=0.25, n0=40, n=3000,
                    alpha=0.01, batch_size=256, seed=9, out_dir={out!r}, device="cpu", progress=False)
""")


def _script(out, delay):
    return _SCRIPT.format(root=str(ROOT), out=str(out), delay=delay)


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    full = tmp_path / "full"
    exec(compile(_script(full, 0.0), "uninterrupted", "exec"), {})
    part = tmp_path / "part"
    proc = subprocess.Popen([sys.executable, "-c", _script(part, 0.02)])
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            # every protocol's file, not one: they are appended one after another per chunk,
            # so a kill between two appends leaves a later file an image behind (resume takes the
            # shortest)
            files = [part / f"{k}.tsv" for k in protocol_names(3) + ["eas"]]
            if all(f.exists() and len(f.read_text().splitlines()) >= 4 for f in files):  # + header
                break
            assert proc.poll() is None, "finished before it could be interrupted"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert json.loads((part / "manifest.json").read_text())["status"] == "running"
    done_before = min(len(res.read_tsv(part / f"{k}.tsv", allow_partial=True))
                      for k in protocol_names(3) + ["eas"])
    assert 3 <= done_before < 20
    subprocess.run([sys.executable, "-c", _script(part, 0.0)], check=True, timeout=300)
    man = json.loads((part / "manifest.json").read_text())
    assert man["status"] == "complete" and man["resumed_at_image"] >= 3
    names = protocol_names(3) + ["eas"]
    assert _table({k: part / f"{k}.tsv" for k in names}) == _table({k: full / f"{k}.tsv" for k in names})


def test_interrupted_in_process_run_resumes(tmp_path):
    class Interrupting(torch.nn.Module):
        def __init__(self, inner, after):
            super().__init__()
            self.inner, self.calls, self.after = inner, 0, after

        def forward(self, x):
            self.calls += 1
            if self.calls > self.after:
                raise KeyboardInterrupt
            return self.inner(x)

    model = tiny_ensemble(num_members=2, num_classes=3, seed=2)
    images, labels = _data(num=12, num_classes=3)
    kw = {**KW, "n": 1000}
    full = _table(certify_dataset(model, images, labels, range(12), batch_size=128,
                                  out_dir=tmp_path / "full", **kw))
    with pytest.raises(KeyboardInterrupt):
        certify_dataset(Interrupting(model, 30), images, labels, range(12), batch_size=128,
                        out_dir=tmp_path / "part", **kw)
    partial = len(res.read_tsv(tmp_path / "part" / "we.tsv"))
    assert 0 < partial < 12
    # a settings change is refused; the same settings resume
    with pytest.raises(ValueError, match="different settings"):
        certify_dataset(model, images, labels, range(12), batch_size=128, out_dir=tmp_path / "part",
                        **{**kw, "seed": 6})
    resumed = certify_dataset(model, images, labels, range(12), batch_size=500,
                              out_dir=tmp_path / "part", **kw)
    assert _table(resumed) == full


# --- shards ------------------------------------------------------------------------------------

def test_shard_ranges_are_contiguous_and_disjoint():
    for count in (1, 7, 10, 11):
        for k in (1, 2, 3, 4):
            ranges = [shard_range(count, (i, k)) for i in range(k)]
            assert ranges[0][0] == 0 and ranges[-1][1] == count
            assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
            sizes = [b - a for a, b in ranges]
            assert max(sizes) - min(sizes) <= 1
    assert parse_shard("1/3") == (1, 3) and parse_shard(None) is None
    for bad in ("3/3", "1-3", "-1/2", (0, 0)):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_shards_merge_to_the_unsharded_result(tmp_path):
    model = tiny_ensemble(num_members=3, num_classes=4, seed=4)
    images, labels = _data(num=12)
    indices = [11, 0, 3, 4, 7, 9, 10]
    full = _table(certify_dataset(model, images, labels, indices, batch_size=128,
                                  out_dir=tmp_path / "full", **KW))
    run = tmp_path / "sharded"
    for i in (2, 0):
        certify_dataset(model, images, labels, indices, batch_size=64, out_dir=run, shard=f"{i}/3", **KW)
    with pytest.raises(ValueError, match="need shards"):
        res.merge_shards(run)
    certify_dataset(model, images, labels, indices, batch_size=64, out_dir=run, shard=(1, 3), **KW)
    merged = res.merge_shards(run)
    assert _table(merged) == full
    man = json.loads((run / "manifest.json").read_text())
    assert man["indices"] == indices and man["status"] == "complete" and man["shard"] is None


def test_merge_refuses_inconsistent_shards(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3, seed=4)
    images, labels = _data(num=6, num_classes=3)
    certify_dataset(model, images, labels, range(6), batch_size=64, out_dir=tmp_path, shard="0/2", **KW)
    certify_dataset(model, images, labels, range(6), batch_size=64, out_dir=tmp_path, shard="1/2",
                    **{**KW, "sigma": 0.5})
    with pytest.raises(ValueError, match="sigma"):
        res.merge_shards(tmp_path)


# --- command line ------------------------------------------------------------------------------

def _cli(argv):
    from drt_min import cli_certify

    parser = argparse.ArgumentParser()
    cli_certify.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _data_dir():
    for candidate in (os.environ.get("DRT_DATA_DIR"), str(ROOT.parent / "shared" / "data")):
        if candidate and (pathlib.Path(candidate) / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
            return candidate
    (pytest.fail if os.environ.get("CI") else pytest.skip)("MNIST test files not found (set DRT_DATA_DIR)")


def test_cli_certify_report_and_merge_on_a_checkpoint(tmp_path, capsys):
    from drt_min.checkpoint import save_checkpoint
    from drt_min.models import LeNetEnsemble

    data_dir = _data_dir()
    torch.manual_seed(0)
    model = LeNetEnsemble(3, 10)
    ckpt = tmp_path / "model.pt"
    digest = save_checkpoint(ckpt, {"config": {"seed": 4}, "epoch": 0, "num_members": 3,
                                    "num_classes": 10, "model": model.state_dict()})
    common = ["--cert-sigma", "0.5", "--cert-n0", "10", "--cert-n", "60", "--cert-alpha", "0.01",
              "--cert-batch", "64", "--cert-every", "1000", "--cert-max-images", "3",
              "--data-dir", data_dir, "--device", "cpu", "--no-progress"]
    assert _cli(["certify", str(ckpt), "--out", str(tmp_path / "run"), "--report", *common]) == 0
    man = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert man["extra"]["checkpoint_sha256"] == digest and man["indices"] == [0, 1000, 2000]
    assert (tmp_path / "run" / "summary.md").is_file()
    assert (tmp_path / "run" / "certified_accuracy.png").is_file()
    for i in (0, 1):
        assert _cli(["certify", str(ckpt), "--out", str(tmp_path / "sh"), "--shard", f"{i}/2", *common]) == 0
    assert _cli(["merge", str(tmp_path / "sh"), "--report"]) == 0
    names = protocol_names(3) + ["eas"]
    assert _table({k: tmp_path / "sh" / f"{k}.tsv" for k in names}) == \
        _table({k: tmp_path / "run" / f"{k}.tsv" for k in names})
    assert _cli(["report", str(tmp_path / "run")]) == 0
    assert "| we |" in capsys.readouterr().out


def test_cli_certify_takes_sigma_from_the_checkpoint(tmp_path):
    from drt_min.checkpoint import save_checkpoint
    from drt_min.models import LeNetEnsemble

    data_dir = _data_dir()
    torch.manual_seed(0)
    common = ["--cert-n0", "10", "--cert-n", "40", "--cert-alpha", "0.01", "--cert-batch", "64",
              "--cert-every", "1000", "--cert-max-images", "1", "--data-dir", data_dir,
              "--device", "cpu", "--no-progress"]
    ckpt = tmp_path / "model.pt"
    save_checkpoint(ckpt, {"config": {"sigma": 0.75}, "epoch": 0, "num_members": 3, "num_classes": 10,
                           "model": LeNetEnsemble(3, 10).state_dict()})
    assert _cli(["certify", str(ckpt), "--out", str(tmp_path / "run"), *common]) == 0
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["sigma"] == 0.75
    bare = tmp_path / "bare.pt"
    save_checkpoint(bare, {"config": {}, "epoch": 0, "num_members": 3, "num_classes": 10,
                           "model": LeNetEnsemble(3, 10).state_dict()})
    with pytest.raises(ValueError, match="pass --cert-sigma"):
        _cli(["certify", str(bare), "--out", str(tmp_path / "run2"), *common])


def test_cli_compare_pairs_two_runs_and_refuses_unpaired_ones(tmp_path, capsys):
    from drt_min.__main__ import main

    images, labels = _data(num=6)
    kw = {**KW, "n": 300}
    for name, seed in (("a", 0), ("b", 1)):
        certify_dataset(tiny_ensemble(num_members=3, num_classes=4, seed=seed), images, labels,
                        range(6), batch_size=128, out_dir=tmp_path / name, **kw)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")]) == 0
    text = (tmp_path / "c" / "comparison.md").read_text()
    assert "McNemar" in text and "| DRT | MME |" in text and "on 6 test images" in text
    assert (tmp_path / "c" / "comparison.png").stat().st_size > 1000
    certify_dataset(tiny_ensemble(num_members=3, num_classes=4, seed=1), images, labels, range(6),
                    batch_size=128, out_dir=tmp_path / "d", **{**kw, "seed": 99})
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "d"), "--out", str(tmp_path / "e")]) == 2
    assert "differ in seed" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()
