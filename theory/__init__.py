"""Every statement of "On the Certified Robustness for Ensemble Models and Beyond" as code.

Modules, one per part of the paper:

- :mod:`theory.conditions`   robustness conditions (Definitions 1-4, Theorems 1, 3, 4, Prop. B.2-B.3, Fact B.1, ERI)
- :mod:`theory.comparison`   ensemble vs single model (Corollary 1, optimal WE weights, Proposition B.1)
- :mod:`theory.smoothing`    Gaussian smoothing (Lemma A.1, Theorem 2 and its tight constant, Prop. B.4, Cor. 2-3, Eq. 8)
- :mod:`theory.strategies`   Ensemble-before/after-Smoothing (Definitions 5-6, Theorem 5, Corollary 4)
- :mod:`theory.statistical`  statistical robustness (Appendix D)
- :mod:`theory.drt`          the DRT objective (Eqs. 9-10, L_train, Eqs. 54-55)
- :mod:`theory.proofs`       sympy proofs of the algebra and calculus
- :mod:`theory.ledger`       the status of every statement
"""
