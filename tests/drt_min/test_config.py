"""One configuration vocabulary: TrainConfig, CertifyConfig, RunConfig, presets and CLI options."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from drt_min import config
from drt_min.__main__ import build_parser


def test_paper_preset_is_appendix_f1():
    p = config.get_preset("paper-mnist")
    t, c = p.train, p.certify
    assert (t.epochs, t.lr, t.lr_step, t.batch_size) == (90, 0.01, 30, 256)
    assert (p.finetune_epochs, t.noise_copies, t.momentum) == (90, 2, 0.9)
    assert (c.cert_n0, c.cert_n, c.cert_alpha, c.cert_every, c.cert_max_images) == \
        (100, 100_000, 0.001, 10, 0)
    assert len(c.indices(10_000)) == 1000
    for sigma, (r1, r2) in config.PAPER_RHO_DEFAULT.items():
        assert (r1, r2) in config.PAPER_RHO_GRID[sigma]


def test_stages_differ_as_documented():
    p = config.get_preset("cpu")
    pre = config.train_config_for(p, "pretrain")
    drt = config.train_config_for(p, "drt", init_from="x.pt")
    ctl = config.train_config_for(p, "control", init_from="x.pt")
    assert (pre.rho1, pre.rho2, drt.rho1, drt.rho2, ctl.rho1, ctl.rho2) == (0, 0, 2.0, 0.5, 0, 0)
    assert (pre.epochs, pre.lr, pre.shared_noise, pre.seed) == (6, 0.05, False, 0)
    assert (drt.epochs, drt.lr, drt.shared_noise, drt.seed, drt.init_from) == \
        (4, 0.002, True, config.FINETUNE_SEED_OFFSET, "x.pt")
    # the control differs from DRT in the DRT weights only
    assert dataclasses.replace(ctl, rho1=drt.rho1, rho2=drt.rho2) == drt
    # every other training field is the run's one TrainConfig
    same = {f.name for f in dataclasses.fields(config.TrainConfig)} - {
        "epochs", "lr", "lr_step", "rho1", "rho2", "shared_noise", "attack_warmup_epochs", "seed",
        "init_from"}
    for name in same:
        assert getattr(pre, name) == getattr(drt, name) == getattr(p.train, name), name


def test_config_is_frozen_and_rejects_unknown_and_invalid_values():
    cfg = config.TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rho1 = 1.0
    with pytest.raises(ValueError, match="unknown"):
        config.from_dict(config.TrainConfig, {"rho1": 1.0, "rho3": 2.0})
    with pytest.raises(ValueError, match="unknown"):
        config.replace(cfg, learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown"):
        config.replace(config.RunConfig(), train={"learning_rate": 0.1})
    with pytest.raises(ValueError):
        config.from_dict(config.TrainConfig, {"epochs": "90"})
    with pytest.raises(ValueError):
        config.from_dict(config.RunConfig, {"train": [1, 2]})
    with pytest.raises(ValueError):
        config.TrainConfig(gd_norm="cubed")
    with pytest.raises(ValueError):
        config.TrainConfig(rho1=1.0, shared_noise=False)
    with pytest.raises(ValueError):
        config.TrainConfig(sigma=0.0)
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite"):
            config.TrainConfig(lr=bad)
    with pytest.raises(ValueError):
        config.CertifyConfig(cert_alpha=1.0)
    with pytest.raises(ValueError, match="init_from"):
        config.RunConfig(train=config.TrainConfig(init_from="x.pt"))
    assert config.from_dict(config.TrainConfig, config.to_dict(cfg)) == cfg
    for preset in config.PRESETS.values():
        assert config.from_dict(config.RunConfig, config.to_dict(preset)) == preset


def test_certify_config_selects_images_and_weights():
    c = config.CertifyConfig(cert_start=3, cert_every=4, cert_max_images=2)
    assert c.indices(20) == [3, 7]
    assert config.CertifyConfig(cert_every=7).indices(20) == [0, 7, 14]
    assert config.CertifyConfig().weights() is None
    assert config.CertifyConfig(cert_weights="1,2,1.5").weights() == [1.0, 2.0, 1.5]
    with pytest.raises(ValueError, match="cert-weights"):
        config.CertifyConfig(cert_weights="1,x").weights()


def test_run_and_certify_share_the_certification_flags():
    parser = build_parser()

    def flags(command):
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {opt for action in sub.choices[command]._actions for opt in action.option_strings}

    cert_flags = {"--" + f.name.replace("_", "-") for f in dataclasses.fields(config.CertifyConfig)}
    assert cert_flags <= flags("run") and cert_flags <= flags("certify")
    train_flags = {"--" + f.name.replace("_", "-") for f in dataclasses.fields(config.TrainConfig)}
    assert train_flags - {"--init-from", "--shared-noise"} <= flags("run")
    assert train_flags <= flags("train")


def test_cli_overrides_nested_fields_and_rejects_unknown_options():
    parser = build_parser()
    args = parser.parse_args(["run", "--preset", "cpu", "--out", "x", "--rho1", "0.5",
                              "--control", "false", "--cert-n", "500", "--finetune-epochs", "2"])
    cfg = config.replace(config.get_preset(args.preset), **config.overrides_from_args(args))
    preset = config.get_preset("cpu")
    assert cfg.train.rho1 == 0.5 and cfg.control is False and cfg.train.rho2 == preset.train.rho2
    assert cfg.certify.cert_n == 500 and cfg.certify.cert_n0 == preset.certify.cert_n0
    assert cfg.finetune_epochs == 2
    args = parser.parse_args(["certify", "ckpt.pt", "--out", "x", "--cert-every", "3",
                              "--device", "cpu"])
    assert config.overrides_from_args(args) == {"cert_every": 3, "device": "cpu"}
    for argv in (["run", "--out", "x", "--rho3", "1"], ["train", "--out", "x", "--gd-norm", "cubed"],
                 ["run", "--out", "x", "--init-from", "a.pt"], ["certify", "c.pt", "--out", "x",
                                                                "--skip", "10"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)


def test_argparse_booleans():
    assert config._parse_bool("false") is False and config._parse_bool("1") is True
    with pytest.raises(argparse.ArgumentTypeError):
        config._parse_bool("maybe")


def test_drt_reading_is_one_field_recorded_in_checkpoints(tmp_path):
    """paper-mnist trains the public-code reading, cpu and smoke the package default; a named reading
    fixes the loss options; a checkpoint written before the field existed loads as 'package'."""
    from drt_min.checkpoint import load_checkpoint, save_checkpoint, validate_payload
    from drt_min.models import LeNetEnsemble

    assert config.TrainConfig().drt_reading == "package"
    assert config.get_preset("paper-mnist").train.drt_reading == "public-code"
    assert config.get_preset("cpu").train.drt_reading == config.get_preset("smoke").train.drt_reading == "package"
    for stage in ("drt", "control"):  # the control differs from DRT in rho only, so it records the reading too
        assert config.train_config_for(config.get_preset("paper-mnist"), stage).drt_reading == "public-code"
    with pytest.raises(ValueError, match="choices|one of"):
        config.TrainConfig(drt_reading="hydra")
    for option, value in (("gd_norm", "squared"), ("pairs", "ordered"), ("normalize", "pairs"),
                          ("variant", "summed")):
        with pytest.raises(ValueError, match="--drt-reading public-code fixes"):
            config.TrainConfig(drt_reading="public-code", **{option: value})
        config.TrainConfig(**{option: value})  # fine with the package reading
    args = build_parser().parse_args(["run", "--preset", "cpu", "--out", "x", "--drt-reading", "literal"])
    assert config.overrides_from_args(args)["train"]["drt_reading"] == "literal"
    # a checkpoint from before the field: its config dict has no drt_reading
    cfg = config.TrainConfig(rho1=1.0)
    old = {k: v for k, v in config.to_dict(cfg).items() if k != "drt_reading"}
    model = LeNetEnsemble(cfg.num_members, cfg.num_classes)
    payload = {"config": old, "epoch": 0, "model": model.state_dict(), "num_members": cfg.num_members,
               "num_classes": cfg.num_classes}
    save_checkpoint(tmp_path / "old.pt", payload)
    loaded, _ = load_checkpoint(tmp_path / "old.pt")
    validate_payload(loaded, tmp_path / "old.pt")
    assert config.from_dict(config.TrainConfig, loaded["config"]) == cfg
    assert config.from_dict(config.TrainConfig, loaded["config"]).drt_reading == "package"
    new = config.to_dict(config.TrainConfig(rho1=1.0, drt_reading="public-code"))
    assert new["drt_reading"] == "public-code"
