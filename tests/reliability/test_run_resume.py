"""Finding 9: ``run`` records its configuration only once a stage has started cleanly, so a
corrected command is accepted after a failure; the device is not part of what a resume must
match; a real difference is refused naming the field."""

from __future__ import annotations

import json

from drt_min.__main__ import main
from tests.helpers.reliability import assert_clean_error

TINY_RUN = ["--synthetic", "4", "--num-classes", "3", "--num-members", "2", "--batch-size", "16",
            "--noise-copies", "1", "--epochs", "1", "--finetune-epochs", "1", "--cert-n", "100",
            "--cert-n0", "10", "--cert-every", "4", "--cert-max-images", "2", "--cert-batch",
            "110", "--no-progress"]


def test_a_corrected_command_runs_and_a_device_change_resumes(tmp_path, capsys):
    out = tmp_path / "r"
    # a wrong --data-dir (MNIST, offline): nothing is created
    assert_clean_error(capsys, ["run", "--out", out, "--data-dir", tmp_path / "nowhere",
                                "--no-progress", "--device", "cpu"],
                       names=[tmp_path / "nowhere"], unchanged=[out])
    assert not out.exists()
    # the corrected command (here: the synthetic set) is accepted in the same --out
    assert main(["run", "--out", str(out), "--device", "cpu", *TINY_RUN]) == 0
    saved = json.loads((out / "run_config.json").read_text())
    assert saved["config"]["train"]["synthetic"] == 4
    checkpoints = {p.name: p.read_bytes() for p in (out / "checkpoints").iterdir()}
    # the same run on another device resumes: nothing is retrained
    assert main(["run", "--out", str(out), "--device", "auto", *TINY_RUN]) == 0
    assert {p.name: p.read_bytes() for p in (out / "checkpoints").iterdir()} == checkpoints
    # a real change is refused, naming the field, and changes nothing
    assert_clean_error(capsys, ["run", "--out", out, "--device", "cpu", *TINY_RUN, "--rho1", "3"],
                       names=["train.rho1", "--out"], unchanged=[out])
    (out / "run_config.json").write_text("{not json")
    assert_clean_error(capsys, ["run", "--out", out, *TINY_RUN],
                       names=[out / "run_config.json"], unchanged=[out])
