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


def test_every_stage_is_checked_before_any_work(tmp_path, capsys):
    """Third round, finding 5: the fine-tuning stages' settings (and the certified images) are
    checked before pretraining starts, naming the option of `run` that is wrong."""
    out = tmp_path / "r"
    for extra, option in ((["--finetune-epochs", "0"], "--finetune-epochs"),
                          (["--seed", str(2**62 - 1)], "--seed"),
                          (["--cert-start", "99999"], "--cert-start")):
        line = assert_clean_error(capsys, ["run", "--out", out, "--device", "cpu", *TINY_RUN,
                                           *extra], names=[option], unchanged=[tmp_path])
        assert not out.exists(), line
    # the corrected command is accepted in the same --out
    assert main(["run", "--out", str(out), "--device", "cpu", *TINY_RUN]) == 0


def test_a_moved_run_directory_resumes(tmp_path):
    """Third round, finding 6: paths are stored relative to the run directory, so a copied or
    moved run resumes (nothing is retrained or certified again)."""
    import shutil

    first = tmp_path / "a" / "r"
    assert main(["run", "--out", str(first), "--device", "cpu", *TINY_RUN]) == 0
    moved = tmp_path / "b" / "elsewhere"
    moved.parent.mkdir()
    shutil.move(str(first), str(moved))

    def files(root):
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and (p.suffix in (".pt", ".tsv"))}

    before = files(moved)
    assert main(["run", "--out", str(moved), "--device", "cpu", *TINY_RUN]) == 0
    assert files(moved) == before
    ckpt = json.dumps(__import__("torch").load(moved / "checkpoints" / "drt.pt",
                                               weights_only=True)["config"])
    assert str(tmp_path) not in ckpt
