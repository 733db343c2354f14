"""Ensemble protocols over N base models (Definitions 2, 3, 5 and 6 of the paper).

An ensemble is any callable ``model(x) -> logits`` with ``x`` of shape (B, *input_shape) and
``logits`` of shape (B, N, C); member i's confidences are ``softmax(logits[:, i], -1)``.

- :class:`StackedEnsemble` turns N ordinary classifiers (B, C) into that form.
- :func:`protocol_votes` gives, for each input, the prediction of the Weighted Ensemble (WE,
  Definition 2), of the Max-Margin Ensemble (MME, Definition 3) and of every member, all from one
  set of logits, on the device and without a Python loop over samples. Smoothing these predictions
  is Ensemble-before-Smoothing (Definition 5).
- :class:`ProtocolClassifier` presents one protocol as an ordinary (B, C) classifier, so it can be
  smoothed by :class:`drt_min.smoothing.Smooth`.
- :func:`eas_certify` is Ensemble-after-Smoothing (Definition 6) certified by the corrected
  Theorem 5 of :mod:`theory.strategies`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from drt_min.errors import UserError
from drt_min.smoothing import lower_confidence_bound
from theory.strategies import eas_certified_radius

__all__ = [
    "StackedEnsemble",
    "protocol_names",
    "normalize_weights",
    "protocol_votes",
    "mme_choice",
    "ProtocolClassifier",
    "eas_select",
    "eas_certify",
]


class StackedEnsemble(nn.Module):
    """N classifiers (B, *input_shape) -> (B, C) evaluated as one ensemble (B, *input_shape) -> (B, N, C).

    When every member has the same architecture (same module types and parameter shapes), the
    parameters are stacked with ``torch.func.stack_module_state`` and the members run as one
    vectorised computation (``vmap`` over ``functional_call``); otherwise they run one after the
    other. The stacked parameters are copies: later changes to the given modules are not seen.
    """

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        members = list(members)
        if not members:
            raise UserError("an ensemble needs at least one member")
        self.num_members = len(members)
        self.vectorized = len(members) > 1 and _same_architecture(members)
        if self.vectorized:
            from torch.func import stack_module_state

            params, buffers = stack_module_state(members)
            self.params = nn.ParameterDict({_key(k): nn.Parameter(v) for k, v in params.items()})
            for k, v in buffers.items():
                self.register_buffer("buf_" + _key(k), v)
            self._names = list(params)
            self._buffer_names = list(buffers)
            base = copy.deepcopy(members[0]).to("meta")
            object.__setattr__(self, "_base", base)  # not a submodule: holds no state of its own
        else:
            self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.vectorized:
            return torch.stack([m(x) for m in self.members], dim=1)
        from torch.func import functional_call, vmap

        params = {k: self.params[_key(k)] for k in self._names}
        buffers = {k: getattr(self, "buf_" + _key(k)) for k in self._buffer_names}
        base = self._base

        def one(p, b, inp):
            return functional_call(base, (p, b), (inp,))

        return vmap(one, in_dims=(0, 0, None), out_dims=1)(params, buffers, x)


def _key(name: str) -> str:
    return name.replace(".", "__")


def _same_architecture(members) -> bool:
    first = members[0]
    ref_types = [type(m) for m in first.modules()]
    ref_params = [(k, v.shape, v.dtype) for k, v in first.named_parameters()]
    ref_buffers = [(k, v.shape, v.dtype) for k, v in first.named_buffers()]
    for m in members[1:]:
        if [type(s) for s in m.modules()] != ref_types:
            return False
        if [(k, v.shape, v.dtype) for k, v in m.named_parameters()] != ref_params:
            return False
        if [(k, v.shape, v.dtype) for k, v in m.named_buffers()] != ref_buffers:
            return False
    return True


def protocol_names(num_members: int) -> list[str]:
    """Protocols certified by the EBS strategy, in the column order of :func:`protocol_votes`."""
    return ["we", "mme"] + [f"member{i}" for i in range(num_members)]


def normalize_weights(weights, num_members: int, *, what: str = "weights") -> np.ndarray:
    """WE weights as a float64 vector summing to 1 (the average when ``weights`` is None).

    The given weights must be finite, non-negative and not all zero, and what they normalise to
    is checked again (finite, non-negative, summing to 1): weights such as ``1e308, 1e308`` sum to
    infinity and would normalise to zeros, and WE would then certify class 0 everywhere.
    ``what`` names them in the error (``--cert-weights`` on the command line).
    """
    if weights is None:
        return np.full(num_members, 1.0 / num_members)
    try:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{what} must be a list of numbers, got {weights!r}") from exc
    if w.shape != (num_members,):
        raise UserError(f"{what}: need {num_members} weights (one per member), got {w.shape[0]}")
    with np.errstate(all="ignore"):
        total = w.sum()
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not total > 0:
            raise UserError(f"{what} must be finite, non-negative and not all zero, got "
                            f"{weights!r}")
        normalized = w / total
    if not (np.all(np.isfinite(normalized)) and np.all(normalized >= 0)
            and abs(normalized.sum() - 1.0) <= 1e-9):
        raise UserError(f"{what} {weights!r} normalise to {normalized.tolist()}, not to finite "
                        "weights summing to 1 (their sum overflows or underflows); give weights "
                        "of moderate size, such as 1,2,1")
    return normalized


def mme_choice(conf: torch.Tensor) -> torch.Tensor:
    """Index of the member with the largest top-1 minus runner-up confidence gap (first on ties).

    ``conf`` has shape (B, N, C); returns shape (B,).
    """
    top2 = conf.topk(2, dim=-1).values
    return (top2[..., 0] - top2[..., 1]).argmax(dim=1)


def protocol_votes(logits: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Predictions (B, 2 + N) of WE, MME and each member from ensemble logits (B, N, C).

    Member i predicts ``argmax_c conf[:, i, c]`` with ``conf = softmax(logits, -1)``; WE predicts
    ``argmax_c sum_i w_i conf[:, i, c]``; MME predicts the class of the member chosen by
    :func:`mme_choice`. Every argmax takes the first index on ties.
    """
    if logits.dim() != 3:
        raise UserError(f"ensemble logits must have shape (B, N, C), got {tuple(logits.shape)}")
    if logits.shape[-1] < 2:
        raise UserError("need at least two classes")
    conf = torch.softmax(logits, dim=-1)
    members = conf.argmax(dim=-1)                                        # (B, N)
    we = torch.einsum("bnc,n->bc", conf, weights.to(conf.dtype)).argmax(dim=-1)
    chosen = mme_choice(conf)
    mme = members.gather(1, chosen.unsqueeze(1)).squeeze(1)
    return torch.cat([we.unsqueeze(1), mme.unsqueeze(1), members], dim=1)


class ProtocolClassifier(nn.Module):
    """One protocol of an ensemble as an ordinary classifier (B, *input_shape) -> (B, C) scores.

    The argmax of the scores is the protocol's prediction: WE returns the weighted confidences, a
    member its confidences, and MME the confidences of the member it picks.
    """

    def __init__(self, model, protocol: str, weights=None):
        super().__init__()
        self.model = model
        self.protocol = protocol
        self.weights = weights
        if not (protocol in ("we", "mme") or (protocol.startswith("member") and protocol[6:].isdigit())):
            raise UserError(f"unknown protocol {protocol!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conf = torch.softmax(self.model(x), dim=-1)
        if self.protocol == "we":
            w = torch.as_tensor(normalize_weights(self.weights, conf.shape[1]), device=conf.device)
            return torch.einsum("bnc,n->bc", conf, w.to(conf.dtype))
        if self.protocol == "mme":
            chosen = mme_choice(conf)
            return conf[torch.arange(conf.shape[0], device=conf.device), chosen]
        return conf[:, int(self.protocol[6:])]


def eas_select(member_counts0: np.ndarray) -> np.ndarray:
    """EAS class y0 from the members' selection counts (..., N, C).

    Each member's top class by its counts; the member with the largest count for its top class
    decides (first member, and first class, on ties). Returns y0 of shape (...).
    """
    counts = np.asarray(member_counts0)
    top = counts.argmax(axis=-1)                                         # (..., N)
    top_count = np.take_along_axis(counts, top[..., None], axis=-1)[..., 0]
    decider = top_count.argmax(axis=-1)                                  # (...)
    return np.take_along_axis(top, decider[..., None], axis=-1)[..., 0]


def eas_certify(member_counts0: np.ndarray, member_counts: np.ndarray, n: int, alpha: float,
                sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Ensemble-after-Smoothing certificates from the members' counts (Definition 6, Theorem 5).

    ``member_counts0`` (..., N, C) are the selection counts (n0 samples) and ``member_counts``
    (..., N, C) the estimation counts (n independent samples) of every member. With probability
    at least 1 - alpha, for every input not abstained on, the EAS ensemble predicts y0 within
    the returned radius: each member's Clopper-Pearson bound on its probability of y0 is taken at
    level alpha / N so that all N hold together (Bonferroni), and the radius is the corrected
    Theorem 5 of :func:`theory.strategies.eas_certified_radius`. Returns ``(prediction, radius)``
    with prediction -1 and radius 0 where the radius is <= 0.
    """
    counts0 = np.asarray(member_counts0)
    counts = np.asarray(member_counts)
    num_members = counts.shape[-2]
    y0 = eas_select(counts0)
    n_y0 = np.take_along_axis(counts, np.broadcast_to(y0[..., None, None], counts.shape[:-1] + (1,)),
                              axis=-1)[..., 0]                          # (..., N)
    p_y0 = lower_confidence_bound(n_y0, n, alpha / num_members)
    safe = np.all(p_y0 > 0, axis=-1)                                     # a zero bound gives -inf
    radius = np.full(y0.shape, -np.inf)
    if np.any(safe):
        radius[safe] = eas_certified_radius(p_y0[safe], sigma)
    certified = radius > 0
    prediction = np.where(certified, y0, -1).astype(np.int64)
    return prediction, np.where(certified, radius, 0.0)
