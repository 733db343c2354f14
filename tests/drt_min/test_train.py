"""The unified training loop, SmoothAdv's attack, checkpoints and resume (configuration: test_config.py)."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
import torch.nn.functional as F

from drt_min import config as C
from drt_min.attacks import smoothadv_pgd
from drt_min.errors import UserError
from drt_min.checkpoint import load_checkpoint, load_ensemble, save_checkpoint, sha256_file
from drt_min.models import LeNetEnsemble
from drt_min.train import epsilon_at, lr_at, train, training_step
from tests.helpers.training import single_thread, tiny_config  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("single_thread")


def _batch(seed=0, b=8):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(b, 1, 28, 28, generator=gen), torch.randint(0, 10, (b,), generator=gen)


# ---------------------------------------------------------------------------- schedules
def test_schedules():
    cfg = C.TrainConfig(lr=0.01, lr_step=30, lr_gamma=0.1, attack_eps=1.0, attack_warmup_epochs=4)
    assert [lr_at(cfg, e) for e in (0, 29, 30, 60, 89)] == pytest.approx([0.01, 0.01, 1e-3, 1e-4,
                                                                           1e-4])
    assert [epsilon_at(cfg, e) for e in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]


# ---------------------------------------------------------------------------- training steps
# The DRT step (every option, loss and parameter gradients) is pinned against a per-member
# oracle in test_drt_step.py.
def test_gaussian_step_is_cross_entropy_on_noisy_copies():
    x, y = _batch()
    cfg = C.TrainConfig(sigma=0.5, noise_copies=2, shared_noise=True)
    torch.manual_seed(0)
    model = LeNetEnsemble(3)
    gen = torch.Generator().manual_seed(5)
    stats = training_step(model, None, x, y, cfg, gen)
    gen = torch.Generator().manual_seed(5)
    noise = torch.randn((2, 8, 1, 1, 28, 28), generator=gen) * 0.5
    noisy = (x[None] + noise[:, :, 0]).reshape(16, 1, 28, 28)
    ref = sum(F.cross_entropy(m(noisy), y.repeat(2)) for m in model.members())
    torch.testing.assert_close(stats["loss"], ref.detach())


def test_smoothadv_attack_stays_in_the_ball_and_raises_the_smoothed_loss():
    x, y = _batch(3, b=6)
    torch.manual_seed(3)
    model = LeNetEnsemble(3)
    gen = torch.Generator().manual_seed(4)
    noise = (0.25 * torch.randn((2, 6, 3, 1, 28, 28), generator=gen))
    adv = smoothadv_pgd(model, x, y, noise, epsilon=0.5, steps=5)
    assert adv.shape == (6, 3, 1, 28, 28)
    delta = (adv - x.unsqueeze(1)).flatten(2).norm(dim=-1)
    assert (delta <= 0.5 + 1e-5).all() and adv.min() >= 0 and adv.max() <= 1
    assert (delta > 0.1).all()

    def smoothed_nll(inputs):
        logits = model((inputs.unsqueeze(0) + noise).reshape(12, 3, 1, 28, 28))
        p = logits.softmax(-1).reshape(2, 6, 3, -1).mean(0)
        return -p.gather(-1, y.view(-1, 1, 1).expand(-1, 3, 1)).log().squeeze(-1)  # (B, N)

    with torch.no_grad():
        before = smoothed_nll(x.unsqueeze(1).expand(-1, 3, -1, -1, -1))
        after = smoothed_nll(adv)
    assert (after >= before - 1e-6).all() and (after > before).float().mean() > 0.9
    # member i's attack depends on member i only
    other = LeNetEnsemble(3)
    with torch.no_grad():
        for p, q in zip(other.parameters(), model.parameters()):
            p.copy_(q)
            p[1:] = torch.randn_like(p[1:]) * 0.05
    adv2 = smoothadv_pgd(other, x, y, noise, epsilon=0.5, steps=5)
    torch.testing.assert_close(adv2[:, 0], adv[:, 0])


def test_training_on_the_synthetic_set_reaches_full_noisy_accuracy(tmp_path):
    cfg = tiny_config(epochs=8)
    result = train(cfg, tmp_path / "a.pt", progress=False, log=None)
    assert result.history[-1]["acc"] > 0.95
    assert result.history[-1]["loss"] < result.history[0]["loss"]


def test_drt_finetuning_on_synthetic_set_has_valid_pairs_and_positive_gd(tmp_path):
    pre = train(tiny_config(epochs=4), tmp_path / "pre.pt", progress=False, log=None)
    cfg = tiny_config(epochs=1, rho1=1.0, rho2=0.5, init_from=str(pre.checkpoint), lr=0.01)
    res = train(cfg, tmp_path / "drt.pt", progress=False, log=None)
    h = res.history[-1]
    assert h["valid"] > 0.5 and h["gd"] > 0 and h["cm"] < 0
    _, meta = load_ensemble(res.checkpoint)
    assert meta["parent_sha256"] == pre.sha256


def test_smoothadv_training_runs_with_drt(tmp_path):
    cfg = tiny_config(epochs=1, attack_steps=2, attack_eps=0.3, attack_warmup_epochs=2,
                      rho1=0.5, rho2=0.5, synthetic=4)
    res = train(cfg, tmp_path / "adv.pt", progress=False, log=None)
    assert res.history[0]["epsilon"] == pytest.approx(0.15)
    assert torch.isfinite(torch.tensor(res.history[0]["loss"]))


# ---------------------------------------------------------------------------- checkpoints
def test_resume_equals_uninterrupted_training(tmp_path):
    full = train(tiny_config(epochs=3), tmp_path / "full.pt", progress=False, log=None)
    part = train(tiny_config(epochs=1), tmp_path / "part.pt", progress=False, log=None)
    assert part.history[-1]["epoch"] == 1
    resumed = train(tiny_config(epochs=3), tmp_path / "part.pt", progress=False, log=None)
    assert resumed.resumed_from_epoch == 1
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert [h["loss"] for h in full.history] == pytest.approx([h["loss"] for h in resumed.history],
                                                              rel=1e-5)
    # a finished run is not trained again
    again = train(tiny_config(epochs=3), tmp_path / "part.pt", progress=False, log=None)
    assert again.resumed_from_epoch == 3 and again.sha256 == sha256_file(tmp_path / "part.pt")


def test_resume_refuses_a_different_configuration(tmp_path):
    train(tiny_config(epochs=1), tmp_path / "a.pt", progress=False, log=None)
    with pytest.raises(ValueError, match="different configuration"):
        train(tiny_config(epochs=2, rho2=0.3), tmp_path / "a.pt", progress=False, log=None)


def test_load_ensemble_meta_and_weights_only(tmp_path):
    res = train(tiny_config(epochs=1), tmp_path / "a.pt", progress=False, log=None)
    model, meta = load_ensemble(tmp_path / "a.pt", "cpu")
    assert meta["sha256"] == sha256_file(tmp_path / "a.pt") == res.sha256
    assert meta["epoch"] == 1 and meta["config"] == C.to_dict(tiny_config(epochs=1))
    assert meta["certify"] == C.to_dict(C.CertifyConfig())  # the protocol `certify` defaults to
    assert C.from_dict(C.TrainConfig, meta["config"]) == tiny_config(epochs=1)
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(model(x), res.model(x))
    assert not model.training

    class Payload:  # an arbitrary object: weights_only must refuse to unpickle it
        def __reduce__(self):
            return (os.getcwd, ())

    torch.save({"format": "drt_min.ensemble/1", "config": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(UserError, match="weights_only=True and never run code") as info:
        load_checkpoint(tmp_path / "evil.pt")
    assert isinstance(info.value.__cause__, pickle.UnpicklingError)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    payload = {"config": {}, "epoch": 1, "num_members": 1, "num_classes": 10,
               "model": LeNetEnsemble(1).state_dict()}
    first = save_checkpoint(path, payload)

    def broken_save(obj, fh, *a, **k):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, dict(payload, epoch=2))
    assert sha256_file(path) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_train_subcommand_end_to_end(tmp_path, capsys):
    from drt_min.__main__ import main

    rc = main(["train", "--preset", "smoke", "--out", str(tmp_path / "t.pt"), "--synthetic", "6",
               "--num-classes", "7", "--batch-size", "16", "--epochs", "1", "--no-progress",
               "--device", "cpu"])
    assert rc == 0
    assert "sha256=" in capsys.readouterr().out
    rc = main(["train", "--preset", "smoke", "--stage", "drt", "--out", str(tmp_path / "d.pt"),
               "--synthetic", "6", "--num-classes", "7", "--no-progress"])
    assert rc == 2  # fine-tuning without --init-from is an error
