"""Ledger entries: ensemble versus single-model robustness (Appendix B.1.2 and B.3)."""

from . import Statement

_T = "tests/theory/test_comparison.py::"

_COR1_ASSUMPTIONS = (
    "two beta-smooth base models, both r-robust at x0 and predicting y0 there (positive margins)",
    "Delta in [0, 1), c = max{R/r, 1}",
    "1 - C (1 - cos(theta)) > 0",
)

ENTRIES = [
    Statement(
        id="cor1-we",
        title="Weighted Ensemble versus single-model certified radius",
        location="Appendix B.1.2 and B.3, Corollary 1 (WE), Eq. (14)",
        statement=r"\beta\le\frac{\Delta\min\{f_1^{y_0/y_i},f_2^{y_0/y_i}\}}{c^2r^2},\ \cos\langle\nabla f_1^{y_0/y_i},"
                  r"\nabla f_2^{y_0/y_i}\rangle\le\cos\theta\ \forall y_i\ne y_0\Rightarrow M_{WE}\ R\text{-robust},\ "
                  r"R=r\frac{1-\Delta}{1+\Delta}\big(1-C_{WE}(1-\max\{\cos\theta,0\})\big)^{-1/2},\ "
                  r"C_{WE}=\min_{y_i\ne y_0}\frac{2w_1w_2f_1^{y_0/y_i}f_2^{y_0/y_i}}{(w_1f_1^{y_0/y_i}+w_2f_2^{y_0/y_i})^2}",
        assumptions=_COR1_ASSUMPTIONS + ("M_WE(x0) = y0",),
        verification="both",
        status="refuted",
        kind='substantive error',
        evidence=(_T + "test_cor1_proof_steps_and_perturbed_twins", _T + "test_cor1_we_printed_radius_fails_for_negative_cosine",
                  _T + "test_cor1_we_counterexample_hypotheses_and_corrected_radius",
                  _T + "test_cor1_we_corrected_radius_below_the_exact_radius", _T + "test_cor1_constant_range",
                  _T + "test_cor1_radius_validates_input", _T + "test_cor1_printed_radius_fails_at_mild_negative_cosines",
                  _T + "test_cor1_mild_negative_cosine_counterexamples_and_corrected_radius"),
        code=("theory.comparison.corollary1_we_radius", "theory.comparison.corollary1_radius",
              "theory.comparison.we_constant", "theory.comparison.corollary1_we_hypotheses",
              "theory.comparison.margin_gradient_cosines_we", "theory.proofs.comparison.prove_corollary1_step_i",
              "theory.proofs.comparison.prove_corollary1_step_ii", "theory.proofs.comparison.prove_corollary1_step_iii",
              "theory.proofs.comparison.prove_corollary1"),
        printed=r"R = r (1 - \Delta)/(1 + \Delta) (1 - C_{WE}(1 - \cos\theta))^{-1/2} for any \cos\theta.",
        note=r"False for cos(theta) < 0: step (i) -> (ii) replaces ||grad f_j|| by its upper bound (1 + Delta) f_j / r "
             r"inside w1^2 a^2 + w2^2 b^2 + 2 w1 w2 a b cos(theta), which increases in a, b only for cos(theta) >= 0 "
             r"(C_WE = 1/2 and cos(theta) = -1 even give R = infinity). Counterexample (d = 1, C = 2, y0 = 0): "
             r"f_1 = (0.95 - 0.05 Phi(x), 0.05 + 0.05 Phi(x)), f_2 = (0.2 + 0.7 Phi(x), 0.8 - 0.7 Phi(x)), exact "
             r"beta = 0.7 phi(1) = 0.169, w proportional to (f_2^{0/1}(0), f_1^{0/1}(0)) = (0.1, 0.85) (C_WE = 1/2), "
             r"r = 0.95 x 0.180 = 0.171 (base radii inf and 0.180), Delta = 1/2, cos(theta) = -0.973 (actual "
             r"cosine -1): all hypotheses hold, the printed R = 0.489, but the WE flips at x = -0.369 (brentq). "
             r"Corrected: use max(cos(theta), 0) (a cosine <= cos(theta) < 0 is also <= 0), giving R = 0.081 here; "
             r"the corrected radius is checked against exact trust-region radii of random 2-D quadratic margins. "
             r"It also fails at cos(theta) = -0.05, -0.1, -0.3 in d = 2, -0.1 in d = 10 and -0.05 in d = 50 "
             r"(Phi-ridge members on the simplex, margins 0.9 and 1e-4, Delta < 1e-4; printed R above the exact "
             r"flip radius by 0.11%, 0.49%, 4.8%), where max(cos(theta), 0) holds.",
    ),
    Statement(
        id="cor1-mme",
        title="Max-Margin Ensemble versus single-model certified radius",
        location="Appendix B.1.2 and B.3, Corollary 1 (MME), Eq. (15)",
        statement=r"\beta\le\frac{\Delta\min\{f_1^{y_0/y_1},f_2^{y_0/y_2}\}}{c^2r^2},\ \cos\langle\nabla f_1^{y_0/y_1},"
                  r"\nabla f_2^{y_0/y_2}\rangle\le\cos\theta\ \forall y_1,y_2\ne y_0\Rightarrow M_{MME}\ R\text{-robust},\ "
                  r"R=r\frac{1-\Delta}{1+\Delta}\big(1-C_{MME}(1-\max\{\cos\theta,0\})\big)^{-1/2},\ "
                  r"C_{MME}=\min_{y_1,y_2\ne y_0}\frac{2f_1^{y_0/y_1}f_2^{y_0/y_2}}{(f_1^{y_0/y_1}+f_2^{y_0/y_2})^2}",
        assumptions=_COR1_ASSUMPTIONS + ("M_MME(x0) = y0",),
        verification="both",
        status="refuted",
        kind='substantive error',
        evidence=(_T + "test_cor1_mme_proof_and_perturbed_twin", _T + "test_cor1_mme_printed_radius_fails_for_negative_cosine",
                  _T + "test_cor1_mme_counterexample_hypotheses_and_corrected_radius",
                  _T + "test_cor1_mme_corrected_radius_below_the_exact_radius", _T + "test_cor1_constant_range",
                  _T + "test_cor1_printed_radius_fails_at_mild_negative_cosines",
                  _T + "test_cor1_mild_negative_cosine_counterexamples_and_corrected_radius"),
        code=("theory.comparison.corollary1_mme_radius", "theory.comparison.mme_constant",
              "theory.comparison.corollary1_mme_hypotheses", "theory.comparison.margin_gradient_cosines_mme",
              "theory.proofs.comparison.prove_corollary1"),
        printed=r"R = r (1 - \Delta)/(1 + \Delta) (1 - C_{MME}(1 - \cos\theta))^{-1/2} for any \cos\theta.",
        note=r"Same gap as cor1-we. Counterexample (d = 1, C = 2, y0 = 0): f_1 = (0.95 - 0.8 Phi(x/10), "
             r"0.05 + 0.8 Phi(x/10)), f_2 = (0.15 + 0.8 Phi(x), 0.85 - 0.8 Phi(x)): equal margins 0.1 at x0 = 0 "
             r"(C_MME = 1/2), beta = 0.8 phi(1) = 0.194, r = 0.95 x 0.157 = 0.149, Delta = 1/2, cos(theta) = -0.976: "
             r"the printed R = 0.457 but f_1^{0/1} + f_2^{0/1} changes sign at x = -0.356, where the MME flips. "
             r"Corrected R (max(cos(theta), 0)) = 0.070. The proof uses only Theorem 3's sufficient condition, so "
             r"assumption (2) is not needed; the margins are positive, so Eq. (12) with '<=' suffices (see thm3). "
             r"It also fails at cos(theta) = -0.05, -0.1, -0.3 in d = 2 and -0.1 in d = 10 (Phi-ridge members on the "
             r"simplex, margins 1e-5 and |cos(theta)| 1e-5, Delta < 1e-4; printed R above the exact flip radius by "
             r"0.11%, 0.49%, 4.8%), where max(cos(theta), 0) holds.",
    ),
    Statement(
        id="cor1-weights",
        title="Optimal Weighted Ensemble weights",
        location="Appendix B.1.2, 'Optimizing Weighted Ensemble'",
        statement=r"(w_1,w_2)^{OPT}=\arg\max_w C_{WE}:\ \text{one wrong class: } w\propto(f_2^{y_0/y_i},f_1^{y_0/y_i}),\ "
                  r"C_{WE}=\tfrac12;\ \text{several: } \log\tfrac{w_2}{w_1}=-\tfrac{\ell_{\max}+\ell_{\min}}2,\ "
                  r"C^*=\tfrac12\operatorname{sech}^2\tfrac{\ell_{\max}-\ell_{\min}}4,\ \ell_y=\log\frac{f_2^{y_0/y}}{f_1^{y_0/y}}",
        assumptions=("positive margins of both base models",),
        verification="both",
        status="verified",
        evidence=(_T + "test_cor1_weights_one_class_closed_form_and_perturbed_twin",
                  _T + "test_cor1_weights_terms_are_log_concave_not_concave",
                  _T + "test_cor1_weights_closed_form_matches_scalar_search"),
        code=("theory.comparison.optimal_we_weights", "theory.comparison.optimal_we_weights_numeric",
              "theory.comparison.weight_objective", "theory.proofs.comparison.prove_optimal_weights_one_class",
              "theory.proofs.comparison.prove_weight_term_concavity"),
        note=r"The paper gives the closed form for one wrong class (its 'two classes') and says to optimise w2 "
             r"otherwise. Each term equals (1/2) sech^2((s + l_y)/2), s = log(w2/w1): it is log-concave but not "
             r"concave (convex for e^{|s + l_y|} > 2 + sqrt 3), so the min over classes is log-concave; its maximiser "
             r"is the exact closed form above, matched by a bounded scalar search on log C_WE.",
    ),
    Statement(
        id="cor1-remark",
        title="When the ensemble certifies a larger radius than its base models",
        location="Appendix B.1.2, remark after Corollary 1",
        statement=r"R>r\iff\cos\theta<1-\frac{4\Delta}{C(1+\Delta)^2},\quad C\in(0,\tfrac12],\quad R=r\ \text{at equality}",
        assumptions=("C = C_WE or C_MME", "1 - C (1 - cos(theta)) > 0"),
        verification="both",
        status="verified-with-correction",
        kind="slip",
        evidence=(_T + "test_cor1_remark_proof_and_perturbed_threshold", _T + "test_cor1_remark_matches_the_radius",
                  _T + "test_cor1_remark_printed_non_strict_inequality", _T + "test_cor1_remark_equality_gives_R_equal_r",
                  _T + "test_cor1_constant_range"),
        code=("theory.comparison.ensemble_beats_single_threshold", "theory.comparison.ensemble_beats_single",
              "theory.proofs.comparison.prove_remark_threshold", "theory.proofs.comparison.prove_constant_range"),
        printed=r"R > r \iff \cos\theta \le 1 - 4\Delta/(C(1+\Delta)^2).",
        note=r"A '<=' for '<' slip at the equality case (an equality of two radii, not a tie between classes; "
             r"at equality they are equal): R = r exactly there (Delta = 1/3, C = 1/2, cos(theta) = -1/2 gives R/r = 1 "
             r"in exact arithmetic). With the corrected Corollary 1 the condition applies to max(cos(theta), 0), so "
             r"negative cosines help no more than orthogonal gradients.",
    ),
    Statement(
        id="propB1",
        title="More base models certify a larger WE radius",
        location="Appendix B.1.2, Proposition B.1, Eqs. (16)-(20)",
        statement=r"\text{Eq. (4) at } r \text{ for } \{f_j\}_{j\le N}\text{ and }\{f_j\}_{N<j\le N+M}\ (\text{same } w),\ "
                  r"\text{ensemble gradients nonzero, not colinear}\Rightarrow\text{Eq. (4) holds strictly for }"
                  r"\{f_j\}_{j\le N+M}\Rightarrow\text{certified radius }r'>r",
        assumptions=("all base models beta-smooth", "for every y_i, the two sub-ensembles' margin gradients are "
                     "nonzero and not positively colinear"),
        verification="both",
        status="verified",
        evidence=(_T + "test_propB1_proof_and_perturbed_colinear_case", _T + "test_propB1_union_certifies_a_larger_radius",
                  _T + "test_propB1_colinear_sub_ensembles_gain_nothing",
                  _T + "test_propB1_union_can_certify_less_than_the_better_half"),
        code=("theory.comparison.we_slack", "theory.comparison.we_certified_radius_by_class",
              "theory.conditions.theorem1_certified_radius", "theory.proofs.comparison.prove_propB1"),
        printed=r"Eqs. (16)-(18), (20) write \frac1r\sum_j f_j^{y_0/y_i} without the weights w_j.",
        note=r"The weights are missing from the margin sums of Eqs. (16)-(20) (a typo; Theorem 1 has them). The "
             r"gain is relative to a radius both halves certify: the union can certify less than the better half "
             r"(test), and colinear halves (a copy) gain nothing.",
    ),
]
