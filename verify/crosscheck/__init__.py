"""The cross-check of a trained run against the theorems: ``python -m verify crosscheck RUN_DIR``.

- :mod:`.inputs`      the run's checkpoints, certificates and images (checked to belong together)
- :mod:`.sampling`    members' confidences on the certifier's seeded noise streams (and new phases)
- :mod:`.functions`   the margins and pair sums of the theorems as coefficient rows
- :mod:`.bounds`      rigorous Monte-Carlo bounds (empirical Bernstein, Stein gradients and curvatures)
- :mod:`.image_stats` every per-image estimate of parts 1-5
- :mod:`.attacks`     PGD on the soft- and hard-smoothed ensembles, and proofs that a point is adversarial
- :mod:`.parts`       the tables (pure numpy), :mod:`.roc` the ROC/AUC of Figure 6
- :mod:`.crosscheck`  the seven parts end to end, :mod:`.report` the written report
"""
