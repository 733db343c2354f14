"""The small utility modules both drt_min and verify use: seeding, the CSV writer, the input checks."""

from __future__ import annotations

import numpy as np
import pytest

from drt_min.csvtable import write_csv
from drt_min.errors import UserError, check_alpha, check_sigma
from drt_min.seeding import NAMED_STREAMS, numpy_stream, stream_key


def _draws(rng: np.random.Generator) -> list[int]:
    return rng.integers(0, 2**62, size=4).tolist()


@pytest.mark.parametrize("seed", [0, 7, 2**40])
def test_named_streams_draw_what_the_streams_on_record_drew(seed):
    # the seeds the checks and figures were first written with: default_rng([seed, k, ...])
    on_record = {"statistical:lemma-d1-laws": [seed, 1], "statistical:lemma-d3-moments": [seed, 3],
                 "statistical:corollary5": [seed, 5], "mme-many:study": [seed, 5],
                 "statistical:lemma-d5-moments": [seed, 5], "statistical:general-scenarios": [seed, 6],
                 "statistical:fact-d1-moments": [seed, 7], "statistical:uniform-scenarios": [seed, 8],
                 "statistical:corollary6": [seed, 61], "statistical:corollary6-bullet3": [seed, 63],
                 "statistical:lemma-d4": seed, "drt:pairwise-gd": seed, "drt:gd-cosine": seed,
                 "figures:figure4": seed, "compare:bootstrap": seed, "crosscheck:directions": seed,
                 "crosscheck:auc-bootstrap": seed}
    assert set(on_record) | {"statistical:ensemble"} == set(NAMED_STREAMS)
    for name, entropy in on_record.items():
        assert _draws(numpy_stream(seed, name)) == _draws(np.random.default_rng(entropy)), name
    assert _draws(numpy_stream(seed, "statistical:ensemble", 7)) == _draws(np.random.default_rng([seed, 4, 7]))


def test_tagged_streams_hash_their_name():
    # the per-check tags: sum(ord(c) 31^i) mod 2^32, written out for two of them
    assert stream_key("hess2d") == (sum(ord(c) * 31**i for i, c in enumerate("hess2d")) % 2**32,)
    assert stream_key("hess2d") == (2912630865,)
    assert _draws(numpy_stream(3, "cor1-we-True")) == _draws(np.random.default_rng([3, 1943131189]))
    assert _draws(numpy_stream(3, "hess2d")) != _draws(numpy_stream(3, "hess1d"))


def test_csv_line_endings_and_quoting(tmp_path):
    write_csv(tmp_path / "a.csv", ["x", "y"], [["1.5", "b,c"], [2, 0.25]], line_end="\n")
    assert (tmp_path / "a.csv").read_bytes() == b'x,y\n1.5,"b,c"\n2,0.25\n'
    write_csv(tmp_path / "b.csv", ["x"], [[1]])
    assert (tmp_path / "b.csv").read_bytes() == b"x\r\n1\r\n"


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, -0.5, 1.5, float("nan"), True, "0.5", None])
def test_alpha_outside_the_open_interval_is_refused_in_one_line(bad):
    with pytest.raises(UserError, match=r"^--cert-alpha must lie in \(0, 1\), got ") as info:
        check_alpha(bad, "--cert-alpha")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, float("nan"), float("inf"), True, "1", None])
def test_sigma_not_positive_and_finite_is_refused_in_one_line(bad):
    with pytest.raises(UserError, match=r"^sigma must be a finite number > 0, got ") as info:
        check_sigma(bad)
    assert "\n" not in str(info.value)


def test_good_values_pass_as_floats():
    assert check_alpha(np.float32(0.25)) == 0.25 and check_alpha(0.001) == 0.001
    assert check_sigma(np.int64(2)) == 2.0 and check_sigma(0.12) == 0.12


def test_the_public_entry_points_refuse_bad_alpha_and_sigma(tmp_path):
    import torch

    from drt_min.certify import certify_dataset
    from drt_min.smoothing import Smooth

    images, labels = torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long)
    kw = dict(n0=10, n=100, batch_size=10, seed=0, out_dir=tmp_path / "out", device="cpu", progress=False)
    with pytest.raises(UserError, match=r"^alpha must lie in \(0, 1\)"):
        certify_dataset(None, images, labels, [0], sigma=0.5, alpha=1.0, **kw)
    with pytest.raises(UserError, match=r"^sigma must be a finite number > 0"):
        certify_dataset(None, images, labels, [0], sigma=0.0, alpha=0.01, **kw)
    with pytest.raises(UserError, match=r"^sigma must be a finite number > 0"):
        Smooth(torch.nn.Identity(), 2, float("nan"))
    with pytest.raises(UserError, match=r"^alpha must lie in \(0, 1\)"):
        Smooth(torch.nn.Identity(), 2, 0.5).certify(torch.zeros(2), 10, 100, 0.0, 10)
    assert not (tmp_path / "out").exists()  # refused before anything was written
