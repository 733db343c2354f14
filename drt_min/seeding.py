"""Seeds of every random stream, derived from a base seed and a key, never by adding offsets.

Two derivations, each fixed because results on record depend on its exact values:

* :func:`derive_seed` (SHA-256 of ``"/".join(parts)``): training streams: initialisation
  ``(seed, "init")``, data order ``(seed, "order", epoch)``, training noise ``(seed, "noise",
  epoch)`` and the synthetic data sets ``(seed, "synthetic", split)``.
* :func:`stream_seed` (BLAKE2b of ``drt_min.noise:seed:index:phase:block``): certification noise,
  one stream per image, phase (selection or estimation) and block of samples, so that every way of
  batching, sharding or resuming the work draws the same noise.
"""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed", "stream_seed"]

_MASK63 = (1 << 63) - 1


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from a tuple (e.g. (seed, 'noise', epoch)), stable across platforms."""
    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") & _MASK63


def stream_seed(seed: int, index: int, phase: int, block: int) -> int:
    """A 63-bit seed for the certification noise of (seed, image index, phase, block)."""
    key = f"drt_min.noise:{int(seed)}:{int(index)}:{int(phase)}:{int(block)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1
