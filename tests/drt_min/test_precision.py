"""Certification precision (``--cert-precision fp32|bf16``) and counting without host syncs."""

from __future__ import annotations

import json

import pytest
import torch

from drt_min import config
from drt_min import results as res
from drt_min.certify import certify_dataset, count_votes
from drt_min.ensemble import ProtocolClassifier, protocol_names
from drt_min.errors import UserError
from drt_min.models import LeNetEnsemble
from drt_min.precision import ReducedPrecision, for_precision
from drt_min.smoothing import Smooth, add_counts
from tests.helpers.certify import tiny_ensemble


def _lenet_data(num=4, seed=2):
    torch.manual_seed(0)
    model = LeNetEnsemble(3, 10).eval()
    gen = torch.Generator().manual_seed(seed)
    return model, torch.rand(num, 1, 28, 28, generator=gen), torch.arange(num) % 10


def _table(paths):
    return {name: [(r.idx, r.label, r.predict, r.radius, r.correct) for r in res.read_tsv(p)]
            for name, p in paths.items()}


KW = dict(sigma=0.5, n0=30, n=400, alpha=0.05, seed=8, device="cpu", progress=False)


@pytest.mark.parametrize("size, bins", [(0, 5), (1, 5), (1000, 7), (5000, 6400)])
def test_add_counts_is_bincount(size, bins):
    gen = torch.Generator().manual_seed(size)
    keys = torch.randint(0, bins, (size,), generator=gen)
    start = torch.randint(0, 50, (bins,), generator=gen)
    got = add_counts(start.clone(), keys)
    assert torch.equal(got, start + torch.bincount(keys, minlength=bins))
    assert got.dtype == torch.long


def test_reduced_precision_copies_the_model_and_returns_float32():
    model, images, _ = _lenet_data()
    bf16 = for_precision(model, "bf16")
    assert isinstance(bf16, ReducedPrecision) and for_precision(model, "fp32") is model
    assert model.conv1_weight.dtype == torch.float32  # the given module is untouched
    with torch.inference_mode():
        out, ref = bf16(images), model(images)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    # bf16 keeps 8 significant bits: close to the fp32 logits, not equal
    assert not torch.equal(out, ref)
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.05)
    with pytest.raises(UserError, match="precision"):
        for_precision(model, "fp16")


def test_bf16_certificates_do_not_depend_on_the_batch_size(tmp_path):
    """The LeNet ensemble on CPU in bf16: the padded inference sub-batches keep every sample's
    logits independent of the batch it is in, so the certificates are bit-identical."""
    model, images, labels = _lenet_data()
    tables = [_table(certify_dataset(model, images, labels, [0, 1, 2, 3], batch_size=b,
                                     out_dir=tmp_path / str(b), precision="bf16", **KW))
              for b in (37, 500, 2000)]
    assert tables[0] == tables[1] == tables[2]
    with torch.inference_mode():
        counts = [count_votes(for_precision(model, "bf16"), images[:2], [0, 1], sigma=0.5,
                              n0=10, n=90, seed=4, batch_size=b,
                              weights=torch.full((3,), 1 / 3), num_protocols=5, num_classes=10)
                  for b in (5, 63, 65, 400)]
    assert all(torch.equal(counts[0], c) for c in counts[1:])


def test_bf16_rows_are_smooth_certify_of_the_bf16_classifier(tmp_path):
    model, images, labels = _lenet_data()
    paths = certify_dataset(model, images, labels, [1, 3], batch_size=256, out_dir=tmp_path,
                            precision="bf16", **KW)
    bf16 = for_precision(model, "bf16")
    rows = _table(paths)
    for protocol in protocol_names(3):
        smooth = Smooth(ProtocolClassifier(bf16, protocol), 10, KW["sigma"])
        for idx, _, predict, radius, _ in rows[protocol]:
            got = smooth.certify(images[idx], KW["n0"], KW["n"], KW["alpha"], 300,
                                 seed=KW["seed"], index=idx)
            assert got == (predict, radius), (protocol, idx)


def test_fp32_is_the_default_and_unchanged(tmp_path):
    model = tiny_ensemble(num_members=2, num_classes=3, seed=1)
    gen = torch.Generator().manual_seed(1)
    images = torch.rand(3, 1, 6, 6, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2])
    default = certify_dataset(model, images, labels, [0, 2], batch_size=64,
                              out_dir=tmp_path / "d", **KW)
    explicit = certify_dataset(model, images, labels, [0, 2], batch_size=64,
                               out_dir=tmp_path / "e", precision="fp32", **KW)
    assert _table(default) == _table(explicit)
    assert res.read_manifest(tmp_path / "d")["precision"] == "fp32"
    assert config.CertifyConfig().cert_precision == "fp32"
    assert config.from_dict(config.CertifyConfig, {}).cert_precision == "fp32"
    assert config.replace(config.CertifyConfig(), cert_precision="bf16").cert_precision == "bf16"
    with pytest.raises(UserError, match="cert-precision"):
        config.CertifyConfig(cert_precision="fp16")


def test_precision_is_recorded_and_a_resume_must_match_it(tmp_path):
    model, images, labels = _lenet_data()
    protocol = config.to_dict(config.CertifyConfig(cert_precision="bf16"))
    extra = {"protocol": protocol}
    out = tmp_path / "run"
    certify_dataset(model, images, labels, [0, 1], batch_size=128, out_dir=out,
                    manifest_extra=extra, precision="bf16", **KW)
    manifest = res.read_manifest(out)
    assert manifest["precision"] == "bf16"
    from drt_min.report import write_report

    assert "precision = bf16 (certificates of the bf16 classifier, not of the fp32 model)" in \
        write_report(out).read_text()
    assert manifest["extra"]["protocol"]["cert_precision"] == "bf16"
    assert config.from_dict(config.CertifyConfig, manifest["extra"]["protocol"]) == \
        config.CertifyConfig(cert_precision="bf16")
    # the same settings resume; fp32 into a bf16 directory is refused
    certify_dataset(model, images, labels, [0, 1], batch_size=128, out_dir=out,
                    manifest_extra=extra, precision="bf16", **KW)
    assert res.read_manifest(out)["resumed_at_image"] == 2
    with pytest.raises(UserError, match="precision"):
        certify_dataset(model, images, labels, [0, 1], batch_size=128, out_dir=out,
                        manifest_extra=extra, precision="fp32", **KW)


def test_a_manifest_without_precision_means_fp32(tmp_path):
    """Runs certified before the option existed resume (and merge) as fp32 runs."""
    model, images, labels = _lenet_data()
    extra = {"protocol": config.to_dict(config.CertifyConfig())}
    out = tmp_path / "old"
    paths = certify_dataset(model, images, labels, [0, 1, 2], batch_size=128, out_dir=out,
                            manifest_extra=extra, **KW)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["precision"]
    del manifest["extra"]["protocol"]["cert_precision"]
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = _table(paths)
    for p in paths.values():  # as if killed after the first image
        lines = p.read_text().splitlines(keepends=True)
        p.write_text("".join(lines[:2]))
    again = certify_dataset(model, images, labels, [0, 1, 2], batch_size=128, out_dir=out,
                            manifest_extra=extra, **KW)
    assert _table(again) == before
    assert res.read_manifest(out)["resumed_at_image"] == 1
    with pytest.raises(UserError, match="precision"):
        certify_dataset(model, images, labels, [0, 1, 2], batch_size=128, out_dir=out,
                        manifest_extra=extra, precision="bf16", **KW)
    bad = dict(res.read_manifest(out), precision="fp16")
    with pytest.raises(UserError, match="precision"):
        res.validate_manifest(bad)
