"""Finding 1: every bad input to the CLI is one line on stderr and exit status 2, never a traceback.

The checkpoint, device and output errors below were tracebacks before (torch's own text then told
the user to retry with ``weights_only=False``); ``--debug`` and ``DRT_DEBUG=1`` bring the traceback
back for whoever debugs the package.
"""

from __future__ import annotations

import os

import pytest
import torch

from drt_min.__main__ import main
from drt_min.errors import UserError
from tests.helpers.reliability import TINY_CERT, assert_clean_error, cli


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch CODE_RAN",))


def _bad_checkpoints(tiny_ckpt):
    raw = tiny_ckpt.read_bytes()
    payload = torch.load(tiny_ckpt, weights_only=True)
    bad = {
        "empty": b"",
        "truncated": raw[: len(raw) // 2],
        "text": b"not a checkpoint\n",
        "legacy_pickle_global": b"cos\nsystem\n(S'touch CODE_RAN'\ntR.",
    }
    paths = {}
    for name, data in bad.items():
        paths[name] = tiny_ckpt.with_name(f"{name}.pt")
        paths[name].write_bytes(data)
    paths["runs_code"] = tiny_ckpt.with_name("runs_code.pt")
    torch.save({"format": "drt_min.ensemble/1", "x": _RunsCode()}, paths["runs_code"])
    wrong = dict(payload, model=dict(payload["model"], fc2_bias=torch.zeros(7)))
    paths["wrong_shape"] = tiny_ckpt.with_name("wrong_shape.pt")
    torch.save(wrong, paths["wrong_shape"])
    paths["other_format"] = tiny_ckpt.with_name("other_format.pt")
    torch.save(dict(payload, format="something/else"), paths["other_format"])
    paths["a_list"] = tiny_ckpt.with_name("a_list.pt")
    torch.save([1, 2, 3], paths["a_list"])
    return paths


def test_bad_checkpoints_are_one_line_errors_naming_the_file(tiny_ckpt, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, path in _bad_checkpoints(tiny_ckpt).items():
        out = tmp_path / f"out_{name}"
        assert_clean_error(capsys, ["certify", path, "--out", out, *TINY_CERT],
                           names=[path], unchanged=[tmp_path])
        assert not out.exists(), name
        assert_clean_error(capsys, ["train", "--stage", "drt", "--init-from", path, "--out",
                                    tmp_path / f"ft_{name}.pt", "--synthetic", "4",
                                    "--num-classes", "3", "--num-members", "2", "--no-progress"],
                           names=[path], unchanged=[tmp_path])
    assert not (tmp_path / "CODE_RAN").exists()


@pytest.mark.parametrize("argv,option", [
    (["certify", "{ckpt}", "--out", "{tmp}/c", "--device", "bogus"], "--device"),
    (["certify", "{ckpt}", "--out", "{tmp}/c", "--device", "cuda:7"], "cuda:7"),
    (["train", "--out", "{tmp}/t.pt", "--device", "bogus", "--synthetic", "4"], "device"),
    (["run", "--out", "{tmp}/r", "--device", "mps:0", "--synthetic", "4"], "device"),
])
def test_bad_devices(argv, option, tiny_ckpt, tmp_path, capsys):
    if option == "cuda:7" and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    argv = [a.format(ckpt=tiny_ckpt, tmp=tmp_path) for a in argv]
    assert_clean_error(capsys, argv + ["--no-progress"], names=[option], unchanged=[tmp_path])


def test_an_out_that_is_a_file_is_refused_before_any_work(tiny_ckpt, tiny_run, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    for argv in (["certify", tiny_ckpt, "--out", afile, *TINY_CERT],
                 ["certify", tiny_ckpt, "--out", afile / "sub", *TINY_CERT],
                 ["train", "--out", tmp_path, "--synthetic", "4", "--no-progress"],
                 ["train", "--out", afile / "t.pt", "--synthetic", "4", "--no-progress"],
                 ["run", "--out", afile, "--synthetic", "4", "--no-progress"],
                 ["compare", tiny_run, tiny_run, "--out", afile]):
        out = argv[argv.index("--out") + 1]
        assert_clean_error(capsys, argv, names=["--out", out], unchanged=[tmp_path])


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_out_is_refused_before_the_first_epoch(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_clean_error(capsys, ["train", "--out", locked / "t.pt", "--synthetic", "4",
                                    "--no-progress"], names=["not writable"],
                           unchanged=[tmp_path])
    finally:
        locked.chmod(0o700)


def test_argparse_errors_are_one_line_too(capsys, tmp_path):
    for argv in (["train", "--out", tmp_path / "t.pt", "--sigma", "abc"],
                 ["train", "--out", tmp_path / "t.pt", "--no-such-option", "1"],
                 ["certify"], ["frobnicate"], []):
        rc, _, err = cli(capsys, *argv)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_debug_flag_and_environment_variable_show_the_traceback(tmp_path, monkeypatch, capsys):
    argv = ["report", str(tmp_path / "missing")]
    assert main(argv) == 2
    with pytest.raises(UserError, match="manifest.json"):
        main(["--debug", *argv])
    monkeypatch.setenv("DRT_DEBUG", "1")
    with pytest.raises(UserError):
        main(argv)


def _parser_options(parser) -> set[str]:
    """Every option string of ``parser`` and of its subcommands' parsers."""
    import argparse

    options = set()
    for action in parser._actions:
        options.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                options |= _parser_options(sub)
    return options


def test_no_message_names_an_option_that_does_not_exist():
    """Third round, finding 6: every ``--option`` written in the package's strings (messages,
    hints; docstrings aside) is an option of ``python -m drt_min`` or ``python -m verify``."""
    import ast
    import pathlib
    import re

    from drt_min.__main__ import build_parser
    from verify.__main__ import build_parser as verify_parser

    known = _parser_options(build_parser()) | _parser_options(verify_parser())
    pattern = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9](?![\w-]*\*)")
    root = pathlib.Path(__file__).resolve().parents[2]
    unknown = []
    for package in ("drt_min", "verify"):
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                          if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                               ast.AsyncFunctionDef))
                          and node.body and isinstance(node.body[0], ast.Expr)
                          and isinstance(node.body[0].value, ast.Constant)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and id(node) not in docstrings and "\\" not in node.value:
                    unknown += [(path.name, node.lineno, m) for m in pattern.findall(node.value)
                                if m not in known]
    assert not unknown, unknown


def test_run_never_advises_no_resume(tmp_path, capsys):
    """``run`` has no --no-resume: a checkpoint of another configuration is refused with advice
    that exists."""
    from tests.reliability.test_run_resume import TINY_RUN

    out = tmp_path / "r"
    assert main(["run", "--out", str(out), "--device", "cpu", *TINY_RUN]) == 0
    (out / "run_config.json").unlink()   # so that the checkpoints are what is compared
    line = assert_clean_error(capsys, ["run", "--out", out, "--device", "cpu", *TINY_RUN,
                                       "--lr", "0.5"], names=["--out"])
    assert "--no-resume" not in line
