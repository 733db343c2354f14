"""Randomized smoothing (Cohen et al., 2019): the certificate, its bound, and the noise streams.

:class:`Smooth` keeps the interface of Cohen et al.'s reference implementation (``predict``,
``certify``, ``ABSTAIN = -1``) so it can be dropped into code written for it. The statistics live in
module-level functions shared with the batched certifier of :mod:`drt_min.certify`:

- :func:`certify_from_counts` -- Algorithm CERTIFY on vote counts, vectorised: the one
  implementation behind :meth:`Smooth.certify` and every TSV the batched certifier writes;
- :func:`lower_confidence_bound` -- the one-sided Clopper-Pearson bound of
  :func:`theory.smoothing.clopper_pearson_lower`;
- :func:`radius_from_bound` -- ``sigma * Phi^{-1}(pA_bar)``
  (:func:`theory.smoothing.cohen_radius_lower` itself);
- :func:`noisy_batches` -- the one noise loop: noisy copies of several images packed into forward
  batches, each image's noise drawn from streams seeded by (seed, image index, phase, block)
  (:func:`noise_segment`), so every way of batching the work draws the same noise.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from scipy.stats import binomtest

from drt_min.errors import UserError, check_alpha, check_sigma
from drt_min.seeding import stream_seed
from theory.smoothing import clopper_pearson_lower, cohen_radius_lower

__all__ = [
    "Smooth",
    "SELECTION",
    "ESTIMATION",
    "NOISE_BLOCK",
    "certify_from_counts",
    "lower_confidence_bound",
    "radius_from_bound",
    "min_samples_to_certify",
    "max_certifiable_radius",
    "warn_if_never_certifies",
    "noise_segment",
    "iter_noise_blocks",
    "noisy_batches",
    "check_sampling_arguments",
    "nonfinite_error",
    "add_counts",
]

#: Phase of a noise stream: the n0 selection samples and the n estimation samples are drawn from
#: different streams, so the class chosen by selection is independent of the estimation counts.
SELECTION = 0
ESTIMATION = 1

#: Samples per noise block. Each block has its own seeded stream, so the noise of a block does not
#: depend on how blocks are grouped into forward batches (batch size, images per batch, shards,
#: resumption). Changing this constant changes every certificate; it is recorded in the manifest.
NOISE_BLOCK = 1000


def lower_confidence_bound(k, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 - alpha) Clopper-Pearson lower bound ``pA_bar`` on a binomial proportion.

    With probability at least 1 - alpha over ``k ~ Binomial(n, p)``, ``p >= pA_bar``. The bound
    is :func:`theory.smoothing.clopper_pearson_lower`: ``beta.ppf(alpha, k, n - k + 1)``, 0 at
    ``k = 0`` and ``alpha ** (1 / n)`` at ``k = n``. (Arguments are checked where they enter:
    :func:`check_sampling_arguments`; theory's function rejects a level outside (0, 1) itself.)
    """
    return clopper_pearson_lower(k, n, alpha)


#: Certified L2 radius ``sigma * Phi^{-1}(pA_bar)`` (negative when ``pA_bar < 1/2``): the one
#: implementation, :func:`theory.smoothing.cohen_radius_lower` (Lemma A.1 with pB = 1 - pA).
radius_from_bound = cohen_radius_lower


def min_samples_to_certify(alpha: float) -> int:
    """Smallest n for which n agreeing samples give a bound >= 1/2, i.e. ``alpha ** (1/n) >= 1/2``."""
    assert 0.0 < alpha < 1.0, f"alpha {alpha!r} was not checked where it entered (check_alpha)"
    n = max(1, math.ceil(math.log(alpha) / math.log(0.5)))
    while alpha ** (1.0 / n) < 0.5:  # guard the float rounding of the logarithms
        n += 1
    while n > 1 and alpha ** (1.0 / (n - 1)) >= 0.5:
        n -= 1
    return n


def max_certifiable_radius(n: int, alpha: float, sigma: float) -> float:
    """``sigma * Phi^{-1}(alpha ** (1/n))``: the radius when all n estimation samples agree, the
    largest any certificate of these n, alpha and sigma can reach."""
    return float(radius_from_bound(lower_confidence_bound(n, n, alpha), sigma))


def warn_if_never_certifies(n: int, alpha: float) -> bool:
    """Warn (and return True) when no outcome of ``n`` samples can certify at level ``alpha``."""
    need = min_samples_to_certify(alpha)
    if n < need:
        warnings.warn(
            f"n={n} samples can never certify at alpha={alpha}: even n agreeing samples give a "
            f"lower bound alpha**(1/n) = {alpha ** (1.0 / n):.4f} < 1/2; use n >= {need}",
            UserWarning,
            stacklevel=3,
        )
        return True
    return False


def _int_at_least(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise UserError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_sampling_arguments(*, n: int, alpha: float, batch_size: int, n0: int | None = None
                             ) -> None:
    """The one check of Algorithm CERTIFY's and PREDICT's arguments (a :class:`UserError`, which is
    a ``ValueError``): integers n0, n, batch_size >= 1 and alpha in (0, 1) (:func:`check_alpha`)."""
    if n0 is not None:
        _int_at_least("n0", n0)
    _int_at_least("n", n)
    _int_at_least("batch_size", batch_size)
    check_alpha(alpha)


def nonfinite_error(index: int, protocols, count: int) -> UserError:
    """The one message for non-finite model outputs: image, protocols, no certificate written."""
    return UserError(f"image {index}: the model returned non-finite outputs (NaN or infinite) on "
                     f"{count} of its noisy inputs, so no certificate or prediction of "
                     f"{', '.join(protocols)} is computed or written for it (a vote on NaN would certify class 0); the "
                     "model's weights are too large or it diverged")


def noise_segment(seed: int, index: int, phase: int, block: int, count: int, shape,
                  *, device, dtype=torch.float32) -> torch.Tensor:
    """Standard normal noise of shape ``(count, *shape)`` for one block of one image's stream."""
    gen = torch.Generator(device=device)
    gen.manual_seed(stream_seed(seed, index, phase, block))
    return torch.randn((count, *shape), generator=gen, device=device, dtype=dtype)


def iter_noise_blocks(num: int):
    """Yield ``(block, count)`` covering ``num`` samples in blocks of :data:`NOISE_BLOCK`."""
    for block, start in enumerate(range(0, num, NOISE_BLOCK)):
        yield block, min(NOISE_BLOCK, num - start)


def noisy_batches(images: torch.Tensor, indices, phases, *, sigma: float, seed: int | None,
                  batch_size: int):
    """Yield ``(inputs, keys)``: the noisy copies ``x + sigma * eps`` of every image in forward
    batches of at most ``batch_size``, and for each copy the key ``slot * len(phases) + j`` of its
    image slot and phase.

    ``images`` (K, *shape) are on the device; ``indices`` their dataset indices; ``phases`` a
    sequence of ``(phase, num)``: ``num`` samples from the stream of ``phase`` (:data:`SELECTION`
    or :data:`ESTIMATION`). Copies of consecutive images share a batch. With ``seed=None`` the
    noise comes from torch's global random state (Cohen et al.'s behaviour). The yielded tensors
    are reused buffers: use them before the next step of the iteration.
    """
    if batch_size < 1:
        raise UserError(f"batch_size must be >= 1, got {batch_size!r}")
    device, dtype = images.device, images.dtype
    shape = tuple(images.shape[1:])
    buf = torch.empty((batch_size, *shape), device=device, dtype=dtype)
    keys = torch.empty(batch_size, dtype=torch.long, device=device)
    fill = 0
    for slot, idx in enumerate(indices):
        x = images[slot]
        for j, (phase, num) in enumerate(phases):
            key = slot * len(phases) + j
            for block, count in iter_noise_blocks(num):
                if seed is None:
                    noise = torch.randn((count, *shape), device=device, dtype=dtype)
                else:
                    noise = noise_segment(seed, idx, phase, block, count, shape, device=device,
                                          dtype=dtype)
                start = 0
                while start < count:
                    take = min(count - start, batch_size - fill)
                    torch.add(x, noise[start:start + take], alpha=sigma, out=buf[fill:fill + take])
                    keys[fill:fill + take] = key
                    fill += take
                    start += take
                    if fill == batch_size:
                        yield buf, keys
                        fill = 0
    if fill:
        yield buf[:fill], keys[:fill]


def add_counts(counts: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """``counts[k] += number of occurrences of k in keys``, in place on the device; returns counts.

    The integers ``counts += torch.bincount(keys, minlength=counts.numel())`` gives, without its
    host synchronisation: on CUDA ``bincount`` reads the largest (and smallest) key back to the
    host to size its output, once per forward batch; ``index_add_`` of ones queues one kernel.
    Integer sums are exact, so the order of the additions cannot change a count.
    """
    return counts.index_add_(0, keys, torch.ones_like(keys))


def certify_from_counts(counts_selection, counts_estimation, *, n: int, alpha: float,
                        sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm CERTIFY (Cohen et al., 2019) on vote counts; vectorised over leading axes.

    ``counts_selection`` (..., C) are the votes of the n0 selection samples, ``counts_estimation``
    (..., C) those of n independent estimation samples. ``cA_hat`` is the top class of the
    selection counts (the first on ties), ``pA_bar`` the Clopper-Pearson lower bound on
    P(f(x + eps) = cA_hat) from the estimation counts; the result is ``(ABSTAIN, 0)`` where
    ``pA_bar < 1/2`` and ``(cA_hat, sigma * Phi^{-1}(pA_bar))`` elsewhere. Returns
    ``(prediction, radius)`` of shape (...).
    """
    counts0, counts1 = np.asarray(counts_selection), np.asarray(counts_estimation)
    cA_hat = counts0.argmax(axis=-1)
    nA = np.take_along_axis(counts1, cA_hat[..., None], axis=-1)[..., 0]
    pA_bar = lower_confidence_bound(nA, n, alpha)
    abstain = pA_bar < 0.5
    prediction = np.where(abstain, Smooth.ABSTAIN, cA_hat)
    radius = np.where(abstain, 0.0, radius_from_bound(np.where(abstain, 0.5, pA_bar), sigma))
    return prediction, radius


class Smooth:
    """A smoothed classifier g(x) = argmax_c P(f(x + eps) = c), eps ~ N(0, sigma^2 I).

    ``base_classifier`` maps a batch (B, *input_shape) to scores (B, num_classes); its prediction
    is the argmax. It is put in eval mode before every evaluation. The interface is that of Cohen
    et al.'s reference implementation.
    """

    #: returned by :meth:`predict` and :meth:`certify` when they abstain
    ABSTAIN = -1

    def __init__(self, base_classifier, num_classes: int, sigma: float):
        check_sigma(sigma)
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
                or not 2 <= num_classes <= 10**6:
            raise UserError(f"num_classes must be an integer in [2, 10**6], got {num_classes!r}")
        self.base_classifier = base_classifier
        self.num_classes = int(num_classes)
        self.sigma = float(sigma)

    def certify(self, x: torch.Tensor, n0: int, n: int, alpha: float, batch_size: int,
                *, seed: int | None = None, index: int = 0) -> tuple[int, float]:
        """With probability at least 1 - alpha over the noise, the returned class cA is, unless the
        method abstains, the prediction of the smoothed classifier g at every point within L2
        distance ``radius`` of x (Algorithm CERTIFY of Cohen et al., 2019).

        The n0 selection samples pick cA_hat; n independent estimation samples give the
        Clopper-Pearson lower bound pA_bar on P(f(x + eps) = cA_hat); the method abstains
        (returns ``(ABSTAIN, 0.0)``) when pA_bar < 1/2, and otherwise returns
        ``(cA_hat, sigma * Phi^{-1}(pA_bar))`` (:func:`certify_from_counts`).

        ``x`` has no batch dimension. Without ``seed`` the noise comes from torch's global random
        state; with ``seed`` it comes from the seeded per-image streams of :func:`noise_segment`
        (image ``index``), the noise the batched certifier of :mod:`drt_min.certify` draws, so the
        result equals that certifier's row for image ``index``.
        """
        check_sampling_arguments(n0=n0, n=n, alpha=alpha, batch_size=batch_size)
        warn_if_never_certifies(n, alpha)
        counts = self._sample_noise(x, ((SELECTION, n0), (ESTIMATION, n)), batch_size, seed, index)
        prediction, radius = certify_from_counts(counts[0], counts[1], n=n, alpha=alpha,
                                                 sigma=self.sigma)
        return int(prediction), float(radius)

    def predict(self, x: torch.Tensor, n: int, alpha: float, batch_size: int,
                *, seed: int | None = None, index: int = 0, phase: int = ESTIMATION) -> int:
        """With probability at least 1 - alpha, the returned class equals g(x) unless the method
        abstains (Algorithm PREDICT of Cohen et al., 2019): the top two classes of n samples are
        compared by a two-sided binomial test (``scipy.stats.binomtest``) at level alpha.

        With ``seed``, the noise is the stream of (seed, ``index``, ``phase``); another ``phase``
        than the certificate's gives noise independent of it (the cross-check predicts at attacked
        points that way).
        """
        check_sampling_arguments(n=n, alpha=alpha, batch_size=batch_size)
        counts = self._sample_noise(x, ((phase, n),), batch_size, seed, index)[0]
        top2 = np.argsort(-counts, kind="stable")[:2]
        nA, nB = int(counts[top2[0]]), int(counts[top2[1]])
        if binomtest(nA, nA + nB, 0.5).pvalue > alpha:
            return Smooth.ABSTAIN
        return int(top2[0])

    def _sample_noise(self, x: torch.Tensor, phases, batch_size: int, seed,
                      index: int) -> np.ndarray:
        """Class counts (len(phases), C) of the base classifier's predictions on noisy copies of x.

        The scores must have shape (B, num_classes) and be finite: a NaN score would be counted as
        a vote for class 0 (the argmax of NaN), so non-finite scores raise instead. The check is
        accumulated on the device and read once, with the counts."""
        if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.dim() > 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise UserError(f"x must be one input without a batch dimension, such as an image "
                            f"(C, H, W), got shape {shape}; certify a batch one image at a time")
        if hasattr(self.base_classifier, "eval"):
            self.base_classifier.eval()  # dropout or batch-norm in training mode would change f
        c = self.num_classes
        counts = torch.zeros(len(phases) * c, dtype=torch.long, device=x.device)
        nonfinite = torch.zeros((), dtype=torch.long, device=x.device)
        with torch.inference_mode():
            for inputs, keys in noisy_batches(x.unsqueeze(0), [index], phases, sigma=self.sigma,
                                              seed=seed, batch_size=batch_size):
                scores = self.base_classifier(inputs)
                if scores.dim() != 2 or scores.shape[0] != inputs.shape[0] or scores.shape[1] != c:
                    raise UserError(f"the base classifier must return scores (B, num_classes) = "
                                    f"({inputs.shape[0]}, {c}), got {tuple(scores.shape)}; "
                                    "num_classes does not match the classifier")
                nonfinite += (~torch.isfinite(scores)).any(1).sum()
                flat = keys * c + scores.argmax(1)
                add_counts(counts, flat)
        bad = int(nonfinite)
        if bad:
            protocol = getattr(self.base_classifier, "protocol", "the base classifier")
            raise nonfinite_error(index, [str(protocol)], bad)
        return counts.reshape(len(phases), c).cpu().numpy()
