"""Ledger entries: Gaussian smoothing (Sections 2.1, 2.3; Appendix A; Appendix B.1.3, B.4, B.5; Prop. C.1)."""

from . import Statement

_T = "tests/theory/test_smoothing.py::"
_S = "theory.smoothing."
_P = "theory.proofs.smoothing."

ENTRIES = [
    Statement(
        id="thm2",
        title="Model-smoothness upper bound for soft smoothing",
        location="Section 2.3, Theorem 2; Appendix B.4, proof, Eqs. (33)-(36)",
        statement=r"f:\mathbb{R}^d\to[0,1],\ g=f*\mathcal{N}(0,\sigma^2 I)\ \Rightarrow\ "
                  r"\|\nabla g(x_1)-\nabla g(x_2)\|_2\le\frac{2}{\sigma^2}\|x_1-x_2\|_2;\quad "
                  r"u^\top H_g(x)u=\frac{1}{\sigma^2}\mathbb{E}\big[f(x+\varepsilon)(Z^2-1)\big],\ Z=u^\top\varepsilon/\sigma,"
                  r"\ \int_0^\infty t^2e^{-t^2/2}dt=\sqrt{\pi/2}",
        assumptions=("sigma > 0", "f measurable with values in [0, 1] (each component of a simplex-valued f)"),
        verification="both",
        status="loose",
        kind='loose constant',
        evidence=(_T + "test_thm2_paper_integral_steps", _T + "test_thm2_paper_constant_is_sound_but_loose",
                  _T + "test_thm2_tight_symbolic", _T + "test_thm2_tight_bound_piecewise_constant",
                  _T + "test_thm2_tight_attained_by_extremal_function"),
        code=(_S + "smoothness_constant_paper", _S + "smoothness_constant_tight", _S + "gaussian_kernel_second_derivative",
              _P + "prove_thm2_gamma_integral", _P + "prove_thm2_paper_bound", _P + "prove_hessian_kernel_identity",
              "verify.crosscheck.bounds.second_derivative_bounds"),
        note="Sound (the proof bounds |E[f(Z^2-1)]| <= E[f] + E[f Z^2] <= 1 + 1 = 2), but the best constant is "
             "beta* = sqrt(2/(pi e))/sigma^2 = 2 phi(1)/sigma^2 ~ 0.484/sigma^2, 4.13x smaller (see thm2-tight).",
    ),
    Statement(
        id="thm2-tight",
        title="Exact best smoothness constant of soft smoothing",
        location="Theorem 2 (beyond the paper)",
        statement=r"\sup_{f:\mathbb{R}^d\to[0,1]}\ \sup_{x,\|u\|=1}|u^\top H_g(x)u|=\frac{\mathbb{E}[(Z^2-1)_+]}{\sigma^2}"
                  r"=\frac{2\varphi(1)}{\sigma^2}=\frac{\sqrt{2/(\pi e)}}{\sigma^2},\ \text{attained at }x=c\text{ by }"
                  r"f=\mathbf{1}\{|u^\top(t-c)|>\sigma\}\ (+)\text{ and }1-f\ (-)",
        assumptions=("sigma > 0", "f measurable with values in [0, 1]",
                     "bathtub principle: the maximiser of E[f h] over 0 <= f <= 1 is 1{h > 0}; E[Z^2 - 1] = 0 "
                     "gives the same bound for the infimum"),
        verification="both",
        status="verified",
        in_paper=False,
        evidence=(_T + "test_thm2_tight_symbolic", _T + "test_thm2_tight_constant_value",
                  _T + "test_thm2_tight_bound_piecewise_constant", _T + "test_thm2_tight_bound_sigmoids",
                  _T + "test_thm2_tight_attained_by_extremal_function"),
        code=(_S + "smoothness_constant_tight", _S + "extremal_indicator", _S + "interval_indicator_second_derivative",
              _P + "prove_thm2_tight_value", _P + "prove_bathtub_pointwise", _P + "prove_thm2_extremal_attains"),
    ),
    Statement(
        id="thm2-margin",
        title="Best smoothness constant of a smoothed confidence margin",
        location="Theorem 2 as used in Theorem 1 / Corollary 2 (beyond the paper)",
        statement=r"f_a,f_b\ge0,\ f_a+f_b\le1:\ \ \sup|u^\top H_{g_a-g_b}(x)u|=\frac{\mathbb{E}|Z^2-1|}{\sigma^2}"
                  r"=\frac{4\varphi(1)}{\sigma^2}=\frac{2\sqrt{2/(\pi e)}}{\sigma^2},\ \text{attained by }"
                  r"f_a=\mathbf{1}\{|z|>1\},\ f_b=\mathbf{1}\{|z|\le1\}",
        assumptions=("sigma > 0", "f_a, f_b two components of a simplex-valued f (so f_a - f_b in [-1, 1])"),
        verification="both",
        status="verified",
        in_paper=False,
        evidence=(_T + "test_thm2_margin_symbolic_and_attained", _T + "test_thm2_margin_bound"),
        code=(_S + "margin_smoothness_constant", _P + "prove_thm2_margin", _P + "prove_bathtub_pointwise"),
    ),
    Statement(
        id="eq8",
        title="Soft-smoothed WE confidence versus the EBS vote probability",
        location="Section 2.3, Eq. (8)",
        statement=r"\bar g_{M_{WE}}(x)_i=\mathbb{E}_\varepsilon f_{M_{WE}}(x+\varepsilon)_i=\frac{\sum_j w_j(g_j)_i}{\|w\|_1}"
                  r"\ \text{exactly};\ \ -\tfrac12\le g_{M_{WE}}(x)_i-\bar g_{M_{WE}}(x)_i\le1-\tfrac1C,\ "
                  r"g_{M_{WE}}(x)_i=\Pr_\varepsilon(M_{WE}(x+\varepsilon)=i)",
        assumptions=("confidences on the probability simplex", "weights > 0", "C >= 2 classes"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_eq8_soft_we_is_weighted_mean_of_soft_members", _T + "test_eq8_approximation_changes_class_and_radius",
                  _T + "test_eq8_gap_bounds", _T + "test_eq8_gap_bounds_approached", _T + "test_eq8_gap_bounds_attained_at_ties"),
        code=(_S + "soft_we_confidence", _S + "ebs_vote_probability", _S + "ebs_soft_gap_bounds"),
        printed=r"g_{M_{WE}}(x)_i\approx\bar g_{M_{WE}}(x)_i",
        note="The right-hand identity is exact (linearity). The '≈' is only heuristic: the vote probability can "
             "exceed the soft confidence by up to 1 - 1/C and fall short by up to 1/2; both bounds are attained under "
             "the first-index tie rule (a constant uniform member votes class 0 with soft confidence 1/C; a constant "
             "(1/2, 1/2) member never votes class 1), and the two can pick different classes (0.6 x (0.45, 0.55) + "
             "0.4 x (1, 0): soft says 0, vote says 1) or give radii sigma Phi^{-1}(1) = inf versus sigma Phi^{-1}(0.64).",
    ),
    Statement(
        id="def5",
        title="Ensemble-before-Smoothing",
        location="Section 2.3, Definition 5",
        statement=r"G^\varepsilon_M(x)=\arg\max_{j\in[C]}g^\varepsilon_M(x)_j,\quad g^\varepsilon_M(x)_j=\Pr_\varepsilon(M(x+\varepsilon)=j)",
        assumptions=("M a WE or MME ensemble", "ties broken by the first index"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_eq8_soft_we_is_weighted_mean_of_soft_members", _T + "test_eq8_approximation_changes_class_and_radius"),
        code=(_S + "ebs_predict", _S + "ebs_vote_probability"),
    ),
    Statement(
        id="lemA1",
        title="Robustness certificate of randomized smoothing",
        location="Appendix A, Lemma A.1, Eq. (11); Section 2.1",
        statement=r"r=\frac{\sigma}{2}\big(\Phi^{-1}(p_A)-\Phi^{-1}(p_B)\big)\ \ge\ \sigma\Phi^{-1}(p_A)\quad(p_B\le1-p_A)",
        assumptions=("sigma > 0", "p_A a lower bound on the top class's smoothed probability, p_B an upper bound "
                                  "on the runner-up's", "robustness on the open ball ||delta||_2 < r"),
        verification="both",
        status="verified",
        readings=("with the factor 1/2 (Cohen et al.; the text's lower bound sigma Phi^{-1}(p_A) and Corollary 4's proof need "
                  "it): verified, exact for linear classifiers",
                  "without it (sigma times the difference): refuted, it doubles a linear classifier's radius (strict-xfail test)"),
        kind='extraction ambiguity',
        evidence=(_T + "test_lemA1_linear_classifier_radius_exact", _T + "test_lemA1_printed_radius_linear_counterexample",
                  _T + "test_lemA1_symbolic", _T + "test_lemA1_lower_bound_numeric"),
        code=(_S + "cohen_radius", _S + "cohen_radius_lower", _S + "cohen_radius_printed", _S + "halfspace_smoothed_probability",
              _P + "prove_lemA1_linear_radius", _P + "prove_lemA1_lower_bound"),
        printed=r"r=\sigma\big(\Phi^{-1}(p_A)-\Phi^{-1}(p_B)\big) as extracted; the factor in front of the bracket is garbled",
        note="Most likely lost in extraction, not an error of the paper: the text right after Eq. (11) calls "
             "sigma Phi^{-1}(p_A) its lower bound, which holds only with the 1/2 (p_B <= 1 - p_A), and the proof of "
             "Corollary 4 uses the 1/2. Read without it, a linear two-class classifier at distance D (p_A = Phi(D/sigma), "
             "p_B = 1 - p_A) would get 2D instead of its true radius D.",
    ),
    Statement(
        id="cor2",
        title="Gradient and confidence-margin conditions for the soft-smoothed WE",
        location="Appendix B.1.3 and B.5, Corollary 2, Eqs. (21)-(22)",
        statement=r"\Big\|\sum_j w_j\nabla g_j^{y_0/y_i}(x_0)\Big\|_2\le\frac1r\sum_j w_jg_j^{y_0/y_i}(x_0)\mp\beta r\sum_j w_j,"
                  r"\ \ \beta=\frac{\sqrt{2/(\pi e)}}{\sigma^2}\ (\text{printed }2/\sigma^2)",
        assumptions=("sigma > 0, r > 0, weights > 0", "'-' sufficient for r-robustness, '+' necessary",
                     "beta is the per-component smoothness; the margin g_{y0} - g_{yi} is 2 beta-smooth"),
        verification="numeric",
        status="loose",
        kind='loose constant',
        evidence=(_T + "test_cor2_tight_beta_sound_and_necessary", _T + "test_cor2_halved_tight_beta_is_unsound",
                  _T + "test_cor2_cor3_printed_constants"),
        code=(_S + "cor2_sufficient", _S + "cor2_necessary", _S + "smoothness_constant_tight",
              "verify.crosscheck.image_stats.analyse_image"),
        printed=r"\pm\frac{2r}{\sigma^2}\sum_j w_j",
        note="Holds with the printed 2r/sigma^2 sum w_j, but Theorem 1 only needs the margin's smoothness, so the "
             "term can be sqrt(2/(pi e)) r/sigma^2 sum w_j (4.13x smaller); halving that is unsound (the extremal pair "
             "certifies 1.23 sigma > true radius 0.93 sigma).",
    ),
    Statement(
        id="cor3",
        title="Gradient and confidence-margin conditions for the soft-smoothed MME",
        location="Appendix B.1.3 and B.5, Corollary 3, Eqs. (23)-(24)",
        statement=r"\|\nabla g_1^{y_0/y_1}(x_0)+\nabla g_2^{y_0/y_2}(x_0)\|_2\le\frac1r\big(g_1^{y_0/y_1}(x_0)+g_2^{y_0/y_2}(x_0)\big)"
                  r"\mp2\beta r,\ \ 2\beta r=\frac{2\sqrt{2/(\pi e)}\,r}{\sigma^2}\ (\text{printed }4r/\sigma^2)",
        assumptions=("two members", "'-' sufficient; '+' necessary under Theorem 3's assumption that each member's "
                                    "top or runner-up is y0 on the ball"),
        verification="numeric",
        status="loose",
        kind='loose constant',
        evidence=(_T + "test_cor3_tight_beta_sound_two_class", _T + "test_cor3_halved_tight_beta_is_unsound",
                  _T + "test_cor2_cor3_printed_constants"),
        code=(_S + "cor3_sufficient", _S + "cor3_necessary", _S + "smoothness_constant_tight",
              "verify.crosscheck.image_stats.analyse_image"),
        printed=r"\mp\frac{4r}{\sigma^2}",
        note="Holds with 4r/sigma^2; the tight term is 2 sqrt(2/(pi e)) r/sigma^2. The printed proof cites Theorem 1; "
             "the statement is Theorem 3 (Eqs. 12-13) with beta = 2/sigma^2.",
    ),
    Statement(
        id="thm2-ab",
        title="Smoothness bound for confidences in [a, b]",
        location="Appendix B.4, remark after Theorem 2",
        statement=r"f:\mathbb{R}^d\to[a,b]\ \Rightarrow\ g\ \text{is}\ \frac{2(b-a)}{\sigma^2}\text{-smooth; best constant }"
                  r"\frac{(b-a)\sqrt{2/(\pi e)}}{\sigma^2}",
        assumptions=("a <= b", "sigma > 0", "a constant has a zero smoothed Hessian"),
        verification="both",
        status="loose",
        kind='loose constant',
        evidence=(_T + "test_thm2_ab_scaling", _T + "test_thm2_ab_constant_shift_symbolic", _T + "test_thm2_ab_attained"),
        code=(_S + "smoothness_constant_paper", _S + "smoothness_constant_tight", _P + "prove_thm2_constant_shift"),
        note="Sound; the tight constant is (b - a) sqrt(2/(pi e))/sigma^2, attained by a + (b - a) 1{|u.(t-c)| > sigma}.",
    ),
    Statement(
        id="propB4",
        title="Model-smoothness lower bound (the smoothed step function)",
        location="Appendix B.4, Proposition B.4",
        statement=r"f=\mathbf{1}[t\ge0]:\ \sup_x|g''(x)|=\frac{\varphi(1)}{\sigma^2}=\frac{1}{\sqrt{2\pi e}\,\sigma^2}"
                  r"\ \Rightarrow\ \text{the best universal constant is}\ \ge\frac{\varphi(1)}{\sigma^2}",
        assumptions=("sigma > 0", "one-dimensional input (a section of any d)"),
        verification="both",
        status="verified",
        readings=("1/(sqrt(2 pi e) sigma^2) = phi(1)/sigma^2 (what the proof computes, sup |g''| of the smoothed step): "
                  "verified",
                  "1/sqrt(2 pi e sigma^2) = phi(1)/sigma: refuted for sigma > 2 under the existence reading of the "
                  "note (some f needs beta >= the constant): the best universal constant is 2 phi(1)/sigma^2 "
                  "(thm2-tight, attained by the band), below phi(1)/sigma exactly when sigma > 2; for 1 < sigma <= 2 "
                  "the band is a witness though the step alone (phi(1)/sigma^2) is not. Dimensionally wrong either "
                  "way (a second derivative scales as 1/sigma^2)"),
        kind='extraction ambiguity',
        evidence=(_T + "test_propB4_symbolic_and_numeric", _T + "test_propB4_iff_literal_reading",
                  _T + "test_propB4_sigma_reading_fails_for_sigma_above_two"),
        code=(_S + "step_smoothness_lower_bound", _S + "step_second_derivative", _P + "prove_propB4"),
        printed=r"'There exists g_f that is beta-smooth iff beta >= 1/(sqrt(2 pi e) sigma^2)' in our repair; the extraction "
                r"shows the constant without its grouping, readable as 1/(\sqrt{2\pi e}\,\sigma^2) or as 1/\sqrt{2\pi e\sigma^2}",
        note="The sentence is an existence statement (some f makes g need beta >= the constant, i.e. no universal "
             "constant below it); it is not claimed for every f, so a constant f (0-smooth g) does not contradict it "
             "(the strict-xfail test only shows what a misparse would claim). The open question is the grouping of "
             "the constant; the proof settles it. The best universal constant is twice this (thm2-tight).",
    ),
    Statement(
        id="propC1",
        title="Certified robustness of Ensemble-before-Smoothing",
        location="Appendix C.1.1, Proposition C.1, Eq. (38)",
        statement=r"G^\varepsilon_M\ \text{is}\ r\text{-robust at}\ x_0,\ r=\sigma\Phi^{-1}\big(g^\varepsilon_M(x_0)_{G^\varepsilon_M(x_0)}\big)",
        assumptions=("eps ~ N(0, sigma^2 I)", "the probability (or its lower bound) > 1/2 for a positive radius"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_propC1_ebs_radius_is_lemma_lower_bound", _T + "test_lemA1_lower_bound_numeric"),
        code=(_S + "ebs_certified_radius", _S + "cohen_radius_lower"),
    ),
]
