"""Seeds of every random stream: a base seed and a stream name, never offsets added by hand.

Every random stream of the package (training, certification, the checks and figures of ``verify``)
comes from one of three derivations, each fixed because results on record depend on its exact
values (the fixed probe inputs of :func:`drt_min.checkpoint.check_forward` use ``manual_seed(0)``):

* :func:`derive_seed` (SHA-256 of ``"/".join(parts)``): the torch streams of training:
  initialisation ``(seed, "init")``, data order ``(seed, "order", epoch)``, training noise
  ``(seed, "noise", epoch)``, the synthetic data sets ``(seed, "synthetic", split)``, and the
  cross-check's directions ``(seed, "crosscheck-directions", image)``.
* :func:`stream_seed` (BLAKE2b of ``drt_min.noise:seed:index:phase:block``): certification noise,
  one torch stream per image, phase (selection or estimation) and block of samples, so that every
  way of batching, sharding or resuming the work draws the same noise.
* :func:`numpy_stream` (numpy's ``SeedSequence`` of ``[seed, *stream_key(name), *extra]``): the
  numpy generators of ``verify`` and of the paired bootstrap in :mod:`drt_min.compare`. A name
  listed in :data:`NAMED_STREAMS` has the key written there (the constants the streams were first
  seeded with; the empty key is the plain ``default_rng(seed)`` stream); any other name (the
  per-check tags, e.g. ``"hess2d"`` or ``f"cor1-{rule}-{corrected}"``) has the key
  ``sum(ord(c) 31^i) mod 2^32`` of its characters. Two checks sharing a seed thus draw
  independently unless they share a key, as the streams on record listed below do.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["derive_seed", "stream_seed", "numpy_stream", "stream_key", "NAMED_STREAMS"]

_MASK63 = (1 << 63) - 1

#: The numpy streams with a fixed key (name -> key). The keys are those on record, so a name must
#: never be given another key; two names with one key draw the same numbers from the same seed.
NAMED_STREAMS: dict[str, tuple[int, ...]] = {
    # the plain seed: default_rng(seed) == default_rng([seed])
    "compare:bootstrap": (),
    "figures:figure4": (),
    "drt:pairwise-gd": (),
    "drt:gd-cosine": (),
    "statistical:lemma-d4": (),
    "crosscheck:directions": (),       # seeded with derive_seed(seed, "crosscheck-directions", image)
    "crosscheck:auc-bootstrap": (),
    # verify/checks/statistical_*.py and verify/mme_many.py
    "statistical:lemma-d1-laws": (1,),
    "statistical:lemma-d3-moments": (3,),
    "statistical:ensemble": (4,),  # drawn with the extra key len(scenario family name)
    "statistical:corollary5": (5,),
    "mme-many:study": (5,),
    "statistical:lemma-d5-moments": (5,),
    "statistical:general-scenarios": (6,),
    "statistical:fact-d1-moments": (7,),
    "statistical:uniform-scenarios": (8,),
    "statistical:corollary6": (61,),
    "statistical:corollary6-bullet3": (63,),
}


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from a tuple (e.g. (seed, 'noise', epoch)), stable across platforms."""
    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") & _MASK63


def stream_seed(seed: int, index: int, phase: int, block: int) -> int:
    """A 63-bit seed for the certification noise of (seed, image index, phase, block)."""
    key = f"drt_min.noise:{int(seed)}:{int(index)}:{int(phase)}:{int(block)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1


def stream_key(name: str) -> tuple[int, ...]:
    """The key of the numpy stream ``name``: :data:`NAMED_STREAMS`, else the hash of its characters."""
    if name in NAMED_STREAMS:
        return NAMED_STREAMS[name]
    return (sum(ord(c) * 31**i for i, c in enumerate(name)) % 2**32,)


def numpy_stream(seed: int, name: str, *extra: int) -> np.random.Generator:
    """The numpy generator of stream ``name`` of ``seed`` (``extra`` keys split it further)."""
    return np.random.default_rng([seed, *stream_key(name), *extra])
