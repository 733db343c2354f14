"""Randomized smoothing (Cohen et al., 2019): the certificate, its bound, and the noise streams.

:class:`Smooth` keeps the interface of Cohen et al.'s reference implementation (``predict``,
``certify``, ``ABSTAIN = -1``) so it can be dropped into code written for it. The statistics live in
module-level functions shared with the batched certifier of :mod:`drt_min.certify`:

- :func:`lower_confidence_bound` -- the one-sided Clopper-Pearson bound ``beta.ppf(alpha, k, n-k+1)``;
- :func:`radius_from_bound` -- ``sigma * Phi^{-1}(pA_bar)``;
- :func:`noise_segment` -- the Gaussian noise of one image, drawn from a stream seeded by
  (seed, image index, phase, block), so every way of batching the work draws the same noise.
"""

from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import torch
from scipy.stats import beta, binomtest, norm

__all__ = [
    "Smooth",
    "SELECTION",
    "ESTIMATION",
    "NOISE_BLOCK",
    "lower_confidence_bound",
    "radius_from_bound",
    "min_samples_to_certify",
    "warn_if_never_certifies",
    "stream_seed",
    "noise_segment",
    "iter_noise_blocks",
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
    """One-sided (1 - alpha) Clopper-Pearson lower bound on a binomial proportion.

    ``k`` successes out of ``n`` trials (``k`` may be an array). With probability at least
    1 - alpha over the draw of ``k ~ Binomial(n, p)``, ``p >= lower_confidence_bound(k, n, alpha)``.
    The bound is ``beta.ppf(alpha, k, n - k + 1)``; at ``k = 0`` it is 0 (``beta.ppf`` would give NaN)
    and at ``k = n`` it equals ``alpha ** (1 / n)``.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    k = np.asarray(k)
    if k.size and (np.any(k < 0) or np.any(k > n)):
        raise ValueError(f"counts must lie in [0, n={n}], got {k!r}")
    kf = k.astype(np.float64)
    with np.errstate(invalid="ignore"):
        bound = beta.ppf(alpha, np.maximum(kf, 1.0), n - kf + 1.0)
    bound = np.where(k == 0, 0.0, bound)
    bound = np.where(k == n, alpha ** (1.0 / n), bound)
    return np.asarray(bound, dtype=np.float64)


def radius_from_bound(pA_bar, sigma: float) -> np.ndarray:
    """Certified L2 radius ``sigma * Phi^{-1}(pA_bar)`` (negative when ``pA_bar < 1/2``)."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    with np.errstate(divide="ignore"):
        return sigma * norm.ppf(np.asarray(pA_bar, dtype=np.float64))


def min_samples_to_certify(alpha: float) -> int:
    """Smallest n for which n agreeing samples give a bound >= 1/2, i.e. ``alpha ** (1/n) >= 1/2``."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    n = max(1, math.ceil(math.log(alpha) / math.log(0.5)))
    while alpha ** (1.0 / n) < 0.5:  # guard the float rounding of the logarithms
        n += 1
    while n > 1 and alpha ** (1.0 / (n - 1)) >= 0.5:
        n -= 1
    return n


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


def stream_seed(seed: int, index: int, phase: int, block: int) -> int:
    """A 63-bit seed for the noise stream of (seed, image index, phase, block)."""
    key = f"drt_min.noise:{int(seed)}:{int(index)}:{int(phase)}:{int(block)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1


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


class Smooth:
    """A smoothed classifier g(x) = argmax_c P(f(x + eps) = c), eps ~ N(0, sigma^2 I).

    ``base_classifier`` maps a batch (B, *input_shape) to scores (B, num_classes); its prediction
    is the argmax. The interface is that of Cohen et al.'s reference implementation.
    """

    #: returned by :meth:`predict` and :meth:`certify` when they abstain
    ABSTAIN = -1

    def __init__(self, base_classifier, num_classes: int, sigma: float):
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, got {sigma!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes!r}")
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
        ``(cA_hat, sigma * Phi^{-1}(pA_bar))``.

        ``x`` has no batch dimension. Without ``seed`` the noise comes from torch's global random
        state; with ``seed`` it comes from the seeded per-image streams of :func:`noise_segment`
        (image ``index``), the noise the batched certifier of :mod:`drt_min.certify` draws.
        """
        warn_if_never_certifies(n, alpha)
        counts_selection = self._sample_noise(x, n0, batch_size, seed, index, SELECTION)
        cA_hat = int(counts_selection.argmax())
        counts_estimation = self._sample_noise(x, n, batch_size, seed, index, ESTIMATION)
        nA = int(counts_estimation[cA_hat])
        pA_bar = float(lower_confidence_bound(nA, n, alpha))
        if pA_bar < 0.5:
            return Smooth.ABSTAIN, 0.0
        return cA_hat, float(radius_from_bound(pA_bar, self.sigma))

    def predict(self, x: torch.Tensor, n: int, alpha: float, batch_size: int,
                *, seed: int | None = None, index: int = 0) -> int:
        """With probability at least 1 - alpha, the returned class equals g(x) unless the method
        abstains (Algorithm PREDICT of Cohen et al., 2019): the top two classes of n samples are
        compared by a two-sided binomial test (``scipy.stats.binomtest``) at level alpha.
        """
        counts = self._sample_noise(x, n, batch_size, seed, index, ESTIMATION)
        top2 = np.argsort(-counts, kind="stable")[:2]
        nA, nB = int(counts[top2[0]]), int(counts[top2[1]])
        if binomtest(nA, nA + nB, 0.5).pvalue > alpha:
            return Smooth.ABSTAIN
        return int(top2[0])

    def _sample_noise(self, x: torch.Tensor, num: int, batch_size: int, seed, index: int,
                      phase: int) -> np.ndarray:
        """Class counts of the base classifier's predictions on ``num`` noisy copies of x."""
        if num < 1 or batch_size < 1:
            raise ValueError(f"need num >= 1 and batch_size >= 1, got {num}, {batch_size}")
        counts = torch.zeros(self.num_classes, dtype=torch.long, device=x.device)
        with torch.inference_mode():
            if seed is None:
                remaining = num
                while remaining > 0:
                    this_batch = min(batch_size, remaining)
                    remaining -= this_batch
                    noise = torch.randn((this_batch, *x.shape), device=x.device, dtype=x.dtype)
                    counts += self._count(torch.add(x, noise, alpha=self.sigma))
            else:
                for block, count in iter_noise_blocks(num):
                    noise = noise_segment(seed, index, phase, block, count, x.shape,
                                          device=x.device, dtype=x.dtype)
                    for start in range(0, count, batch_size):
                        part = noise[start:start + batch_size]
                        counts += self._count(torch.add(x, part, alpha=self.sigma))
        return counts.cpu().numpy()

    def _count(self, batch: torch.Tensor) -> torch.Tensor:
        predictions = self.base_classifier(batch).argmax(1)
        return torch.bincount(predictions, minlength=self.num_classes)
