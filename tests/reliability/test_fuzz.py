"""Fuzzing of the readers and of the command line: nothing but the package's own errors escape.

The IDX reader, the checkpoint loader, the TSV reader, the manifest reader and the argument
parsing (with the configuration each command builds from it) get arbitrary or mutated input; each
either accepts it or raises :class:`drt_min.errors.UserError` (argparse: exit status 2 with one
line). ``HYPOTHESIS_PROFILE=thorough`` runs 2000 examples of each instead of 60.
"""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from drt_min import cli_certify, cli_train, results as res
from drt_min.__main__ import build_parser
from drt_min.checkpoint import load_ensemble
from drt_min.data import read_idx
from drt_min.errors import UserError

_fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _idx(dims, payload):
    head = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + payload


_idx_dims = st.lists(st.integers(0, 6), min_size=1, max_size=3)
#: well-formed files: the payload has exactly the bytes the dimensions ask for
_valid_idx = _idx_dims.flatmap(lambda dims: st.builds(
    _idx, st.just(dims), st.binary(min_size=int(np.prod(dims)), max_size=int(np.prod(dims)))))


@given(raw=st.one_of(
    st.binary(max_size=200),
    st.builds(_idx, _idx_dims, st.binary(max_size=80)),
    _valid_idx,
), compress=st.booleans(), cut=st.one_of(st.just(10**6), st.integers(0, 300)))
@example(raw=b"\x00\x00\x08\x03", compress=False, cut=300)      # header without its dimensions
@example(raw=_idx([0], b""), compress=False, cut=300)            # an empty tensor
@example(raw=_idx([2, 2], b"abcd"), compress=True, cut=20)       # a truncated .gz
def test_fuzz_idx_reader(raw, compress, cut, tmp_path_factory):
    data = gzip.compress(raw) if compress else raw
    path = tmp_path_factory.mktemp("idx") / "f.gz"
    path.write_bytes(data[:cut])
    try:
        out = read_idx(path)
    except UserError as exc:
        event("refused")
        assert str(path) in str(exc)
    else:
        event("read")
        assert out.dtype == torch.uint8


@pytest.fixture(scope="module")
def ckpt_bytes(_built):
    return (_built / "tiny.pt").read_bytes()


@_fixture_ok
@given(edits=st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 10**7)))
@example(edits=[], cut=0)
@example(edits=[], cut=100)
def test_fuzz_checkpoint_bytes(edits, cut, ckpt_bytes, tmp_path_factory):
    raw = bytearray(ckpt_bytes)
    for pos, value in edits:
        raw[pos % len(raw)] = value
    if cut is not None:
        raw = raw[: cut % (len(raw) + 1)]
    path = tmp_path_factory.mktemp("ck") / "c.pt"
    path.write_bytes(bytes(raw))
    try:
        load_ensemble(path)
    except UserError as exc:
        assert str(path) in str(exc) and "weights_only=False" not in str(exc)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5))


@_fixture_ok
@given(changes=st.dictionaries(
    st.sampled_from(["num_members", "num_classes", "epoch", "format", "config", "model",
                     "history", "certify", "optimizer", "parent_sha256"]),
    st.one_of(_scalars, st.lists(_scalars, max_size=3), st.dictionaries(st.text(max_size=4),
                                                                        _scalars, max_size=3),
              st.builds(lambda n: torch.zeros(n), st.integers(0, 4))),
    max_size=3))
def test_fuzz_checkpoint_payload(changes, ckpt_bytes, tmp_path_factory):
    payload = torch.load(io.BytesIO(ckpt_bytes), weights_only=True)
    payload.update(changes)
    path = tmp_path_factory.mktemp("cp") / "c.pt"
    torch.save(payload, path)
    try:
        load_ensemble(path)
    except UserError as exc:
        assert str(path) in str(exc)


_cell = st.one_of(st.sampled_from(["0", "1", "-1", "0.5", "nan", "inf", "-0.0", "1e400", "", "x",
                                   "3", "1e-300", " 2"]), st.text(max_size=4))


@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=8), max_size=5),
       header=st.sampled_from(["idx\tlabel\tpredict\tradius\tcorrect\ttime", "idx\tlabel", ""]),
       newline=st.booleans())
@example(rows=[["0", "1", "1", "nan", "1", "0.1"]],
         header="idx\tlabel\tpredict\tradius\tcorrect\ttime", newline=True)
@example(rows=[["0", "1"]], header="idx\tlabel\tpredict\tradius\tcorrect\ttime", newline=True)
def test_fuzz_tsv_reader(rows, header, newline, tmp_path_factory):
    path = tmp_path_factory.mktemp("tsv") / "we.tsv"
    text = header + "".join("\n" + "\t".join(r) for r in rows) + ("\n" if newline else "")
    path.write_text(text)
    try:
        out = res.read_tsv(path)
    except UserError as exc:
        event("refused")
        assert str(path) in str(exc)
    else:
        event("read")
        assert all(r.radius >= 0 for r in out)


def _json_containers(inner):
    # a named function: hypothesis reads a lambda's source to check that it recurses, which breaks
    # when the file changes under a running test session
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4))


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                               st.floats(allow_nan=False), st.text(max_size=5)),
                     _json_containers, max_leaves=12)
_base_manifest = {"sigma": 0.25, "n0": 10, "n": 100, "alpha": 0.001, "seed": 0,
                  "indices": [0, 1], "all_indices": [0, 1], "protocols": ["we", "mme"],
                  "status": "complete", "shard": None, "extra": None}


@given(changes=st.dictionaries(st.sampled_from(sorted(_base_manifest) + ["weights", "elapsed_s",
                                                                        "num_classes"]),
                               _json, max_size=3),
       whole=st.one_of(st.none(), _json), raw=st.one_of(st.none(), st.text(max_size=20)))
def test_fuzz_manifest_reader(changes, whole, raw, tmp_path_factory):
    d = tmp_path_factory.mktemp("man")
    if raw is not None:
        (d / "manifest.json").write_text(raw)
    else:
        value = whole if whole is not None else {**_base_manifest, **changes}
        (d / "manifest.json").write_text(json.dumps(value))
    try:
        manifest = res.read_manifest(d)
    except UserError as exc:
        event("refused")
        assert "manifest.json" in str(exc)
    else:
        event("read")
        for name in manifest["protocols"]:
            assert (d / f"{name}.tsv").resolve().parent == d.resolve()
        assert res.max_radius(manifest) >= 0


_values = st.one_of(st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1", "1e309", "1e-320",
                                     "0x10", "", "abc", "2.5", "99999999999999999999999", "1_0",
                                     "cpu", "cuda", "bogus", "true", "0/1", "1/0", "-0"]),
                    st.text(max_size=6))
_options = {
    "train": ["--sigma", "--lr", "--epochs", "--num-members", "--num-classes", "--batch-size",
              "--momentum", "--rho1", "--rho2", "--seed", "--device", "--synthetic",
              "--noise-copies", "--attack-steps", "--stage", "--preset", "--lr-gamma"],
    "run": ["--sigma", "--lr", "--finetune-lr", "--finetune-epochs", "--cert-n", "--cert-alpha",
            "--cert-sigma", "--cert-weights", "--device", "--control", "--preset", "--rho1"],
    "certify": ["--cert-n", "--cert-n0", "--cert-alpha", "--cert-sigma", "--cert-every",
                "--cert-weights", "--cert-seed", "--cert-batch", "--device", "--shard",
                "--cert-split"],
}


@given(command=st.sampled_from(sorted(_options)), data=st.data())
def test_fuzz_command_line(command, data):
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(_options[command]), _values),
                               max_size=4))
    argv = [command] + (["ckpt.pt"] if command == "certify" else []) + ["--out", "o"]
    for option, value in pairs:
        argv += [option, value]
    parser = build_parser()
    build = {"train": cli_train.train_config_from_args, "run": cli_train.run_config_from_args,
             "certify": cli_certify.certify_options}[command]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        event("refused by the parser")
        assert exc.code == 2
    else:
        try:
            build(args)
        except UserError as exc:
            event("refused by the configuration")
            assert str(exc) and "\n" not in str(exc)  # one line, as the CLI prints it
        else:
            event("accepted")
