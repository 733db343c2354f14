"""Monte-Carlo samples of a trained ensemble, drawn from the certifier's seeded noise streams.

Every quantity of the cross-check is an average over noise ``x + sigma eps``. The noise comes from
the streams of :func:`drt_min.smoothing.noise_segment`, seeded by (noise seed, image index, phase,
block), so a rerun draws the same noise and the first ``cert_n`` samples of the estimation phase
are the very noise behind the run's certificates. The certifier uses phases 0 (selection) and 1
(estimation); the cross-check adds its own phases below, so its other samples are independent of
the certificates' noise.
"""

from __future__ import annotations

import numpy as np
import torch

from drt_min.smoothing import ESTIMATION, SELECTION, iter_noise_blocks, noise_segment, noisy_batches

__all__ = ["SELECTION", "ESTIMATION", "DIRECTION", "ATTACK", "VERIFY", "PREDICT", "PROXY", "PHASES",
           "standard_noise", "member_confidences"]

#: Gradient directions for the second derivatives (independent of the estimation samples).
DIRECTION = 2
#: The fixed noise draws of a PGD attack on a smoothed classifier.
ATTACK = 3
#: Fresh samples that confirm (or not) that an attacked point is adversarial.
VERIFY = 4
#: Algorithm PREDICT's samples at an attacked point.
PREDICT = 5
#: Figure 6's proxies (lambda1, lambda2, mu, s, s_f): independent of the certificates' noise, so that
#: the score X and the outcome Y (from the certificates) share no Monte-Carlo error.
PROXY = 6
PHASES = {"selection": SELECTION, "estimation": ESTIMATION, "direction": DIRECTION,
          "attack": ATTACK, "verify": VERIFY, "predict": PREDICT, "proxy": PROXY}


def standard_noise(seed: int, index: int, phase: int, num: int, shape, device="cpu") -> torch.Tensor:
    """The standard normal draws ``eps`` (num, *shape) that :func:`noisy_batches` adds (times sigma)
    to image ``index`` in ``phase`` on ``device``: the same blocks, so the same numbers (a CUDA
    generator draws other numbers than the CPU one, so pass the device the images were on)."""
    parts = [noise_segment(seed, index, phase, block, count, tuple(shape), device=device)
             for block, count in iter_noise_blocks(num)]
    return torch.cat(parts)


def member_confidences(model, images: torch.Tensor, indices, phases, *, sigma: float, seed: int,
                       batch_size: int) -> list[list[np.ndarray]]:
    """Softmax confidences of every member on the noisy copies of each image.

    ``model`` maps (B, *shape) to logits (B, N, C); ``images`` (K, *shape) are on the model's
    device; ``phases`` is a sequence of ``(phase, num)``. Returns ``out[slot][j]``, an array
    (num_j, N, C) in float64, for image ``slot`` and the j-th phase, in the order of the noise
    stream (sample s is ``images[slot] + sigma * standard_noise(...)[s]``).
    """
    phases = [(int(p), int(num)) for p, num in phases]
    chunks: list[list[list[np.ndarray]]] = [[[] for _ in phases] for _ in range(len(indices))]
    with torch.inference_mode():
        for inputs, keys in noisy_batches(images, indices, phases, sigma=sigma, seed=seed,
                                          batch_size=batch_size):
            conf = torch.softmax(model(inputs).double(), dim=-1).cpu().numpy()
            keys_np = keys.cpu().numpy()
            # a batch holds consecutive runs of one key: split it where the key changes
            cuts = np.flatnonzero(np.diff(keys_np)) + 1
            for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(keys_np)]):
                key = int(keys_np[start])
                chunks[key // len(phases)][key % len(phases)].append(conf[start:stop])
    return [[np.concatenate(parts) for parts in per_image] for per_image in chunks]
