"""The cross-check of a trained run against the theorems: ``python -m verify crosscheck RUN_DIR``.

One module per part, each holding the part's computation, its typed record and the renderer of its
section, CSVs and plots:

- :mod:`.part1_theorem2`     Theorem 2 on the trained members
- :mod:`.part2_certificates` Corollaries 2-3 as certificates, attacked (soft-smoothed ensembles)
- :mod:`.part3_eri`          the Ensemble Robustness Indicator (Eq. 7), DRT against the control
- :mod:`.part4_members`      the ensemble against its members (Corollary 1, Tables 14-15)
- :mod:`.part5_eas`          EAS against EBS (Theorem 5 corrected, Corollary 4)
- :mod:`.part6_figure6`      Figure 6 (Appendix D.5.3, Corollary 5)
- :mod:`.part7_predict`      SmoothAdv and Algorithm PREDICT on the run's EBS certificates

Shared pieces:

- :mod:`.inputs`      the run's checkpoints, certificates and images (checked to belong together)
- :mod:`.sampling`    members' confidences on the certifier's seeded noise streams (and new phases)
- :mod:`.bank`        one ensemble's samples of parts 1-5, and the check that they reproduce the run's certificates
- :mod:`.image_stats` every per-image estimate of parts 1-5
- :mod:`.pairs`       two-member sub-ensembles of parts 4-5
- :mod:`.functions`   the margins and pair sums of the theorems as coefficient rows
- :mod:`.bounds`      rigorous Monte-Carlo bounds (empirical Bernstein, Stein gradients and curvatures)
- :mod:`.attacks`     PGD on the soft- and hard-smoothed ensembles, and proofs that a point is adversarial
- :mod:`.power`       the attacks' power at inflated radii (parts 2 and 7)
- :mod:`.parts`       the tables' pure-numpy statistics, :mod:`.roc` the ROC/AUC of Figure 6, :mod:`.fmt` cells
- :mod:`.crosscheck`  the seven parts end to end, :mod:`.report` the header and the written report
"""
