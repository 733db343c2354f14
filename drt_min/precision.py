"""The precision of the classifier that certification evaluates: ``fp32`` (default) or ``bf16``.

Randomized smoothing certifies a *base classifier* f, whatever function it is: with probability at
least 1 - alpha, the smoothed g(x) = argmax_c P(f(x + eps) = c) is constant within the radius.
``--cert-precision bf16`` makes f the bf16 network: the parameters are rounded to bfloat16 once,
every noisy input ``x + sigma * eps`` (drawn and added in float32) is rounded to bfloat16, the layers
compute in bfloat16, and the logits are widened to float32 before the protocols' softmax and
argmax. The vote counting, the Clopper-Pearson bound and the radius are exact as in fp32. So a bf16
certificate is Cohen et al.'s guarantee for the bf16 classifier (the one deployed when inference
runs in bf16); it is *not* a certificate for the fp32 model, whose predictions differ from the bf16
ones on some noisy inputs (how often: benchmarks/results/certify-bf16-cpu.md).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from drt_min.errors import UserError

__all__ = ["PRECISIONS", "DTYPES", "ReducedPrecision", "for_precision"]

PRECISIONS = ("fp32", "bf16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


class ReducedPrecision(nn.Module):
    """``model`` in ``dtype``: a copy with its parameters and buffers cast, fed inputs cast to
    ``dtype``, returning float32 logits. The given module is not changed."""

    def __init__(self, model: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.model = copy.deepcopy(model).to(dtype=dtype)
        self.dtype = dtype
        for name in ("num_members", "num_classes"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.to(self.dtype)).float()


def for_precision(model, precision: str):
    """The classifier certification evaluates at ``precision``: ``model`` itself for fp32, its
    :class:`ReducedPrecision` copy for bf16."""
    if precision not in PRECISIONS:
        raise UserError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return model
    if not isinstance(model, nn.Module):
        raise UserError(f"--cert-precision {precision} needs a torch.nn.Module, got "
                        f"{type(model).__name__}")
    return ReducedPrecision(model, DTYPES[precision])
