"""Ledger entries: robustness conditions (Sections 2.1-2.3, Appendix B.1.1, B.2)."""

from . import Statement

_T = "tests/theory/test_conditions.py::"

ENTRIES = [
    Statement(
        id="def1",
        title="r-robustness",
        location="Section 2.1, Definition 1",
        statement=r"F \text{ is } r\text{-robust at } x_0 \iff F(x)=F(x_0)\ \ \forall x\in\{x_0+\delta:\|\delta\|_2<r\}",
        assumptions=("open L2 ball (Prop. B.2, Thm. 4 and Fact B.1 use the closed ball)",),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_def1_checker_finds_a_flip_inside_the_open_ball", _T + "test_def1_checker_validates_input"),
        code=("theory.conditions.r_robust_on",),
        note="The checker decides the definition on given perturbations only: False is a proof of non-robustness, "
             "True certifies nothing beyond the perturbations given.",
    ),
    Statement(
        id="def2",
        title="Weighted Ensemble prediction",
        location="Section 2.1, Definition 2, Eq. (1)",
        statement=r"M_{WE}(x)=\arg\max_{i\in[C]}\sum_{j=1}^N w_j f_j(x)_i,\quad w\in\mathbb{R}_+^N",
        assumptions=("weights positive", "ties between classes go to the lowest class index"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_def2_we_predict_matches_a_loop", _T + "test_def2_broadcasts_and_breaks_ties_to_the_lowest_class"),
        code=("theory.conditions.we_predict", "theory.conditions.we_scores"),
    ),
    Statement(
        id="def3",
        title="Max-Margin Ensemble prediction",
        location="Section 2.1, Definition 3, Eq. (2)",
        statement=r"M_{MME}(x)=F_c(x),\quad c=\arg\max_{i\in[N]}\big(f_i(x)_{F_i(x)}-f_i(x)_{F_i^{(2)}(x)}\big)",
        assumptions=("ties between models go to the lowest model index", "ties between classes to the lowest class index"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_def3_mme_predict_matches_a_loop", _T + "test_def3_model_ties_go_to_the_lowest_model_index"),
        code=("theory.conditions.mme_predict", "theory.conditions.mme_gaps", "theory.conditions.top_two"),
        note="The paper leaves ties unspecified; they matter for Lemma B.1 (see lemB1), so the rule is fixed here.",
    ),
    Statement(
        id="def4",
        title="beta-smoothness; margins are 2 beta-smooth",
        location="Section 2.2, Definition 4; Appendix B.2, proof of Theorem 1",
        statement=r"\frac{\|\nabla f(x_1)_j-\nabla f(x_2)_j\|_2}{\|x_1-x_2\|_2}\le\beta\ \forall x_1\ne x_2,\ j;"
                  r"\quad\Rightarrow\ f^{y_0/y_i}=f_{y_0}-f_{y_i}\text{ is }2\beta\text{-smooth (tight)}",
        assumptions=("f: R^d -> R^C differentiable",),
        verification="both",
        status="verified",
        evidence=(_T + "test_def4_quadratic_smoothness_is_the_gradient_lipschitz_constant",
                  _T + "test_def4_margin_of_beta_smooth_components_is_2beta_smooth_and_tight",
                  _T + "test_def4_margin_smoothness_proof_and_perturbed_constant", _T + "test_def4_cdf_model_beta_is_exact"),
        code=("theory.conditions.component_smoothness", "theory.conditions.margin_hessians",
              "theory.conditions.margin_smoothness", "theory.proofs.conditions.prove_margin_smoothness"),
        printed="The extracted formula is garbled; read as the gradient-Lipschitz bound per output dimension.",
    ),
    Statement(
        id="thm1",
        title="Gradient and confidence margin conditions for WE robustness",
        location="Section 2.2 and Appendix B.2, Theorem 1, Eqs. (4)-(5), proof Eq. (29)",
        statement=r"\text{(4) }\ \forall y_i\ne y_0:\ \Big\|\sum_j w_j\nabla f_j^{y_0/y_i}(x_0)\Big\|_2\le\frac1r\sum_j w_j "
                  r"f_j^{y_0/y_i}(x_0)-\beta r\sum_j w_j\ \Rightarrow\ M_{WE}\ r\text{-robust};\quad"
                  r"\text{(5) }\ M_{WE}\ r\text{-robust}\Rightarrow\ \forall y_i\ne y_0:\ \Big\|\sum_j w_j\nabla "
                  r"f_j^{y_0/y_i}(x_0)\Big\|_2\le\frac1r\sum_j w_j f_j^{y_0/y_i}(x_0)+\beta r\sum_j w_j",
        assumptions=("M_WE(x0) = y0", "every base model beta-smooth", "r > 0"),
        verification="both",
        status="verified",
        evidence=(_T + "test_thm1_proof_and_perturbed_constants", _T + "test_thm1_certified_radius_below_the_exact_radius",
                  _T + "test_thm1_is_attained_and_a_halved_remainder_is_unsound",
                  _T + "test_thm1_literal_printed_reading_r_times_margin_is_unsound", _T + "test_thm1_validates_input",
                  _T + "test_largest_radius_proof_and_perturbed_root",
                  _T + "test_largest_radius_is_the_boundary_of_the_condition"),
        code=("theory.conditions.theorem1_sufficient", "theory.conditions.theorem1_necessary",
              "theory.conditions.theorem1_certified_radius", "theory.conditions.theorem1_radius_from_terms",
              "theory.conditions.we_taylor_terms",
              "theory.conditions.largest_radius", "theory.proofs.conditions.prove_theorem1",
              "theory.proofs.conditions.prove_lagrange_bounds", "theory.proofs.conditions.prove_largest_radius"),
        printed=r"The extraction shows 'r \sum w_j f_j' on the right-hand side; the proof (Eq. 29) gives the fraction "
                r"(1/r) \sum w_j f_j. Read literally (r times the margin) the condition is unsound (a test shows a flip "
                r"inside a ball it would certify).",
        note=r"Both bounds are sharp: margins f^{y0/yi}(x0 + t u) = S - G t - beta t^2 attain Eq. (4), and a halved "
             r"remainder (beta r / 2) certifies a flipped point. The largest radius Eq. (4) certifies is "
             r"min_y 2 S_y / (G_y + sqrt(G_y^2 + 4 beta W S_y)), W = sum w. Eq. (4) with '<=' is enough because "
             r"Definition 1's ball is open.",
    ),
    Statement(
        id="eri6",
        title="Ensemble Robustness Indicator",
        location="Section 2.2, Eq. (6)",
        statement=r"I_{y_i}=\frac{\|\sum_j w_j\nabla f_j^{y_0/y_i}(x_0)\|_2}{\|w\|_1}-\frac{1}{r\|w\|_1}\sum_j w_j "
                  r"f_j^{y_0/y_i}(x_0);\quad\text{Eq. (4)}\iff\max_{y_i}I_{y_i}\le-\beta r,\ \ \text{Eq. (5)}\iff"
                  r"\max_{y_i}I_{y_i}\le\beta r",
        assumptions=("w > 0", "r > 0"),
        verification="both",
        status="verified",
        evidence=(_T + "test_eri6_proof_and_perturbed_threshold", _T + "test_eri6_matches_theorem1"),
        code=("theory.conditions.eri", "theory.conditions.eri_from_terms",
              "theory.proofs.conditions.prove_eri_equivalence"),
    ),
    Statement(
        id="eri-beta",
        title="Impact of the smoothness bound beta on the ERI verdict",
        location="Section 2.2, 'Impact of Model-Smoothness Bound beta'",
        statement=r"\max_{y_i\ne y_0}I_{y_i}\le-\beta r\Rightarrow M_{WE}\ r\text{-robust};\quad"
                  r"\max_{y_i\ne y_0}I_{y_i}>\beta r\Rightarrow M_{WE}\text{ not }r\text{-robust}",
        assumptions=("as Theorem 1",),
        verification="numeric",
        status="refuted",
        kind="slip",
        evidence=(_T + "test_eri_beta_printed_min_rule_is_unsound", _T + "test_eri_beta_counterexample_and_corrected_rule",
                  _T + "test_eri_beta_necessary_min_rule_is_implied_by_the_max_rule"),
        code=("theory.conditions.eri_verdict", "theory.conditions.eri"),
        printed=r"(1) if \min_{y_i\ne y_0} I_{y_i}\le-\beta r, M_WE is r-robust; (2) if \min_{y_i\ne y_0} I_{y_i}>\beta r, "
                r"M_WE cannot be r-robust; undetermined for \min I\in(-\beta r,\beta r].",
        note=r"(1) is false: Eq. (4) must hold for every wrong class, i.e. max I <= -beta r. Counterexample (d = 1, "
             r"C = 3, y0 = 0, w = (1, 1)): f_1 = (0.95 - 0.8 Phi(x - 1), 0.05 + 0.8 Phi(x - 1), 0), f_2 = (0.95 - "
             r"0.72 Phi((x - 1.1)/1.1), 0.05 + 0.72 Phi((x - 1.1)/1.1), 0), exact beta = 0.8 phi(1); the WE flips "
             r"to class 1 at x = 1.289 (brentq), yet at r = 1.05 x 1.289 the ERIs are (-0.135, -0.437) and "
             r"min I = -0.437 <= -beta r = -0.262. (2) is true but weaker than 'max I > beta r'. A quantifier "
             r"slip (min for max) in a discussion paragraph: Theorem 1 and Eq. (6) quantify over every wrong class, "
             r"and nothing later in the paper uses the printed rule, so it is kept refuted but not counted among the "
             r"paper's substantive errors.",
    ),
    Statement(
        id="eri7",
        title="ERI of the soft-smoothed Weighted Ensemble",
        location="Section 2.3, Eq. (7)",
        statement=r"I_{y_i}=\frac{\|\mathbb{E}_\varepsilon\nabla_x\sum_j w_j f_j^{y_0/y_i}(x_0+\varepsilon)\|_2}{\|w\|_1}"
                  r"-\frac{1}{r\|w\|_1}\mathbb{E}_\varepsilon\sum_j w_j f_j^{y_0/y_i}(x_0+\varepsilon)"
                  r"\;=\;\text{Eq. (6) for } g_j=\mathbb{E}_\varepsilon f_j(\cdot+\varepsilon)",
        assumptions=("eps ~ N(0, sigma^2 I)", "f_j bounded, so gradient and expectation commute"),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_eri7_equals_eri6_of_the_soft_smoothed_models", _T + "test_eri7_certifies_the_soft_smoothed_ensemble"),
        code=("theory.conditions.eri_smoothed", "verify.crosscheck.image_stats.analyse_image"),
        printed=r"Eq. (7) as extracted shows 'r' in place of 1/(r ||w||_1); read as Eq. (6) with expectations.",
    ),
    Statement(
        id="thm3",
        title="Gradient and confidence margin conditions for MME robustness (two models)",
        location="Appendix B.1.1 and B.2, Theorem 3, Eqs. (12)-(13)",
        statement=r"\text{(12) }\ \forall y_1,y_2\ne y_0:\ \|\nabla f_1^{y_0/y_1}(x_0)+\nabla f_2^{y_0/y_2}(x_0)\|_2\le"
                  r"\frac1r\big(f_1^{y_0/y_1}(x_0)+f_2^{y_0/y_2}(x_0)\big)-2\beta r\Rightarrow M_{MME}\ r\text{-robust};"
                  r"\quad\text{(13) with }+2\beta r\ \text{is necessary under assumption (2) on the ball}",
        assumptions=("two base models, both beta-smooth on R^d, with confidences on the probability simplex", "M_MME(x0) = y0",
                     "(13): for every x in the ball, y0 is the top or runner-up class of each base model"),
        verification="both",
        status="verified",
        evidence=(_T + "test_thm3_proof_and_perturbed_constants", _T + "test_thm3_certified_radius_below_the_exact_radius",
                  _T + "test_thm3_is_attained_and_beta_r_is_unsound", _T + "test_thm3_equality_case_needs_models_off_the_simplex",
                  _T + "test_thm3_printed_form_holds_with_beta_positive",
                  _T + "test_thm3_equality_counterexample_and_strict_version"),
        code=("theory.conditions.theorem3_sufficient", "theory.conditions.theorem3_necessary",
              "theory.conditions.theorem3_certified_radius", "theory.conditions.theorem3_radius_from_terms",
              "theory.conditions.theorem3_taylor_terms",
              "theory.proofs.conditions.prove_theorem3"),
        printed="",
        note=r"Holds as printed ('<=') for simplex-valued models. '<=' can fail only at equality with beta = G = S = 0: "
             r"affine models f_1 = (0.6 + x, 0.4 - x), f_2 = (0.4 - x, 0.6 + x) satisfy Eq. (12) with equality for every r "
             r"and tie at x = -0.15, where model 1 predicts class 1; but they leave [0, 1], and a global beta = 0 on the "
             r"simplex forces constant confidences. With beta > 0 (or S > 0) the pair sum stays > 0 on the open ball "
             r"(test). The code also offers the strict form, sufficient under any tie rule. The remainder 2 beta r^2 is "
             r"sharp (attained by quadratic margins; beta r certifies a flipped point).",
    ),
    Statement(
        id="propB2",
        title="Robustness condition for WE",
        location="Appendix B.2, Proposition B.2, Eq. (25)",
        statement=r"\min_{y_i\ne y_0}\sum_j w_j f_j^{y_0/y_i}(x)>0\ \forall x\in B\Rightarrow M_{WE}\ r\text{-robust}"
                  r"\Rightarrow\min_{y_i\ne y_0}\sum_j w_j f_j^{y_0/y_i}(x)\ge0\ \forall x\in B",
        assumptions=("M_WE(x0) = y0", "B the ball of radius r; '>=' on the closed ball by continuity"),
        verification="numeric",
        status="verified-with-correction",
        kind='boundary tie',
        evidence=(_T + "test_propB2_pointwise_condition", _T + "test_propB2_printed_iff_fails_at_a_tie",
                  _T + "test_propB2_tie_counterexample_and_corrected_statement"),
        code=("theory.conditions.we_condition_value", "theory.conditions.we_margins"),
        printed=r"r-robust iff \min_{y_i\ne y_0}\sum_j w_j f_j^{y_0/y_i}(x)\ge 0 on the closed ball.",
        note=r"'>= 0' is not sufficient when a class ties y0 inside the ball and the tie goes elsewhere: two models "
             r"(p_k, 1 - p_k), p_k = 1/2 - c_k (1 - cos(x - 1)), c = (0.2, 0.1), y0 = 1, r = 2: the condition holds "
             r"(= 0 only at x = 1) but M_WE(1) = 0. Sufficient with '> 0', or with ties resolved to y0.",
    ),
    Statement(
        id="thm4",
        title="Robustness condition for MME",
        location="Appendix B.2, Theorem 4, Eq. (26)",
        statement=r"a_i(x)=\min_{y\ne y_0}f_i^{y_0/y}(x):\ \max_i a_i(x)+\min_i a_i(x)>0\ \forall x\in B\Rightarrow "
                  r"M_{MME}\ r\text{-robust};\ \text{under (2)},\ r\text{-robust}\Rightarrow\max_i a_i+\min_i a_i\ge0\ "
                  r"\forall x\in B",
        assumptions=("(1) M_MME(x0) = y0", "(2) for all x in B, y0 is the top or runner-up of every base model"),
        verification="numeric",
        status="verified-with-correction",
        kind='boundary tie',
        evidence=(_T + "test_thm4_printed_if_direction_fails_at_a_tie", _T + "test_thm4_tie_counterexample_and_both_directions",
                  _T + "test_thm4_exact_radius_of_two_class_mme"),
        code=("theory.conditions.mme_condition_value", "theory.conditions.mme_member_margins",
              "theory.conditions.mme_assumption2"),
        printed=r"r-robust iff max_i a_i + min_i a_i >= 0 on the ball.",
        note=r"The 'if' direction needs '> 0' (it inherits Lemma B.1's tie): f_1 = (p, 1 - p), p = 0.4 + "
             r"0.1 (1 - cos(x - 1)), f_2 = (0.6, 0.4), y0 = 0, r = 2: the value is >= 0 on the ball, 0 at x = 1, "
             r"where both gaps are 0.2 and model 1 predicts class 1.",
    ),
    Statement(
        id="lemB1",
        title="Sufficient condition for MME prediction",
        location="Appendix B.2, Lemma B.1",
        statement=r"\max_i\min_{y\ne y_0}f_i^{y_0/y}(x_0)+\min_i\min_{y\ne y_0}f_i^{y_0/y}(x_0)>0\Rightarrow M_{MME}(x_0)=y_0"
                  r"\ \text{(under any tie rule)}",
        assumptions=("N >= 1 base models",),
        verification="numeric",
        status="verified-with-correction",
        kind='boundary tie',
        evidence=(_T + "test_lemB1_strict_condition_gives_y0_under_any_model_order", _T + "test_lemB1_printed_fails_at_equality",
                  _T + "test_lemB1_counterexample_value_zero_and_a_tie"),
        code=("theory.conditions.mme_condition_value", "theory.conditions.mme_predict"),
        printed=r"'>= 0' (Eq. 26); the proof's Eq. (27) assumes the chosen model's gap is strictly the largest.",
        note=r"At equality a model tie decides: f_1 = (0.4, 0.6), f_2 = (0.6, 0.4), y0 = 0: max a + min a = 0.2 - 0.2 "
             r"= 0, both gaps are 0.2, and the lowest-index rule picks model 1, which predicts class 1. Holds with "
             r"'> 0', or with model ties resolved in favour of a model predicting y0.",
    ),
    Statement(
        id="lemB2",
        title="Necessary condition for MME prediction",
        location="Appendix B.2, Lemma B.2",
        statement=r"(\forall i:\ F_i(x_0)=y_0\ \lor\ F_i^{(2)}(x_0)=y_0)\ \land\ M_{MME}(x_0)=y_0\Rightarrow"
                  r"\max_i\min_{y\ne y_0}f_i^{y_0/y}(x_0)+\min_i\min_{y\ne y_0}f_i^{y_0/y}(x_0)\ge0",
        assumptions=("(2): y0 is the top or runner-up class of every base model (with ties: at most one class above y0)",),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_lemB2_necessary_under_assumption2", _T + "test_lemB2_fails_without_assumption2",
                  _T + "test_mme_assumption2_reading"),
        code=("theory.conditions.mme_condition_value", "theory.conditions.mme_assumption2"),
        note=r"The assumption cannot be dropped: f_1 = (0.6, 0.3, 0.1), f_2 = (0.1, 0.5, 0.4), y0 = 0: M_MME = 0 "
             r"(gaps 0.3 > 0.1) but max a + min a = 0.3 - 0.4 < 0; y0 is third for model 2.",
    ),
    Statement(
        id="factB1",
        title="Robustness condition for a single model",
        location="Appendix B.2, Fact B.1",
        statement=r"\min_{y_i\ne y_0}f^{y_0/y_i}(x)>0\ \forall x\in B\Rightarrow F\ r\text{-robust}\Rightarrow"
                  r"\min_{y_i\ne y_0}f^{y_0/y_i}(x)\ge0\ \forall x\in B",
        assumptions=("F(x0) = y0",),
        verification="numeric",
        status="verified-with-correction",
        kind='boundary tie',
        evidence=(_T + "test_factB1_pointwise_condition", _T + "test_factB1_printed_iff_fails_at_a_tie",
                  _T + "test_factB1_tie_counterexample"),
        code=("theory.conditions.single_condition_value",),
        printed=r"r-robust iff \min_{y_i\ne y_0} f^{y_0/y_i}(x)\ge 0 on the closed ball.",
        note=r"Same tie as propB2: f = (p, 1 - p), p = 1/2 - 0.2 (1 - cos(x - 1)), y0 = 1, r = 2: the margin is >= 0 "
             r"on the ball but F(1) = 0. Sufficient with '> 0' or ties resolved to y0.",
    ),
    Statement(
        id="propB3",
        title="Gradient and confidence margin conditions for a single model",
        location="Appendix B.2, Proposition B.3, Eqs. (31)-(32)",
        statement=r"\|\nabla f^{y_0/y_i}(x_0)\|_2\le\frac1r f^{y_0/y_i}(x_0)-\beta r\ \forall y_i\ne y_0\Rightarrow "
                  r"F\ r\text{-robust}\Rightarrow\|\nabla f^{y_0/y_i}(x_0)\|_2\le\frac1r f^{y_0/y_i}(x_0)+\beta r\ "
                  r"\forall y_i\ne y_0",
        assumptions=("F(x0) = y0", "f beta-smooth"),
        verification="both",
        status="verified",
        evidence=(_T + "test_propB3_proof_and_perturbed_constants", _T + "test_propB3_certified_radius_below_the_exact_radius",
                  _T + "test_propB3_is_attained"),
        code=("theory.conditions.propB3_sufficient", "theory.conditions.propB3_necessary",
              "theory.conditions.propB3_certified_radius", "theory.proofs.conditions.prove_propB3"),
        note=r"Sharp: margin S - G t - beta t^2 attains Eq. (31); largest certified radius 2 S / (G + sqrt(G^2 + 4 beta S)).",
    ),
    Statement(
        id="mme-n",
        title="Partner condition for MME robustness with N >= 2 members (ours)",
        location="Beyond the paper: answers the open question after Theorem 3 (Appendix B.1.1)",
        statement=r"\max_ia_i+\min_ia_i=\min_i\max_k(a_i+a_k);\ \forall i\,\exists k_i\in[N]\ \forall y,y'\ne y_0:\ "
                  r"\|\nabla f_i^{y_0/y}(x_0)+\nabla f_{k_i}^{y_0/y'}(x_0)\|_2<\frac1r\big(f_i^{y_0/y}(x_0)+f_{k_i}^{y_0/y'}"
                  r"(x_0)\big)-2\beta r\Rightarrow M_{MME}\ r\text{-robust};\ R=\min_i\max_k\min_{y,y'}"
                  r"\frac{2S}{G+\sqrt{G^2+8\beta S}}\ \text{(sufficient, not necessary)}",
        assumptions=("N >= 2 beta-smooth base models, C >= 2 classes", "any tie rule ('<=' suffices when beta > 0)",
                     "k_i = i allowed (then the pair is member i with itself)"),
        verification="both",
        status="verified",
        in_paper=False,
        evidence=(_T + "test_mme_n_proof_and_perturbed_steps", _T + "test_mme_n_pair_minimax_equals_lemma_b1_value",
                  _T + "test_mme_n_reduces_to_theorem3_for_two_models",
                  _T + "test_mme_n_certified_radius_is_sound_on_quadratic_ensembles", _T + "test_mme_n_validates_input",
                  _T + "test_mme_n_is_sufficient_not_necessary", _T + "test_mme_n_partner_condition_is_necessary"),
        code=("theory.conditions.mme_partner_value", "theory.conditions.mme_pair_taylor_terms",
              "theory.conditions.mme_partner_sufficient", "theory.conditions.mme_partner_certified_radius",
              "theory.conditions.mme_partner_radius_from_terms",
              "theory.proofs.conditions.prove_max_min_as_pair_minimax",
              "theory.proofs.conditions.prove_mme_partner_condition", "verify.mme_many.radius_bracket",
              "verify.mme_many.partner_conservativeness"),
        note=r"Proof: Lemma B.1's value is min_i max_k (a_i + a_k) (sympy, N = 2..8), so fixing one partner k_i per "
             r"member bounds it below by min_i (a_i + a_{k_i}); each pair sum is 4 beta-smooth and Eq. (12) keeps it "
             r"positive on the open ball (Theorem 3's Taylor step). For N = 2 it is exactly Theorem 3. The condition "
             r"suffices; it is not necessary. Random MMEs (N = 3..8, C = 2 and 3) show no flip inside the certified "
             r"radius (verify check mme-n, 3 mutations caught), so it is sound; but the two-class ridge ensemble "
             r"m_i = 0.02 + Phi(u_i . x / 0.25) - 1/2, u = (e, -e, e), beta = phi(1)/(2 0.25^2) = 1.94, has max + min "
             r"= 0.04 everywhere (robust at every radius) while no choice of partners satisfies the condition beyond "
             r"r = 0.102 (test). How conservative it is on the N > 2 study's 230 two-class quadratic ensembles with an "
             r"exact finite radius (docs/verify/report.md): exact radius / certified radius has median 1.05, 90th "
             r"percentile 1.99, maximum 3.42, and it certifies a positive radius on all of them. Diversity enters "
             r"pairwise: a member is covered by one partner whose gradient is anti-aligned with its own (or by a "
             r"margin large enough alone); the partner that keeps the pair sum positive may change across the ball, "
             r"which a fixed partner cannot follow.",
    ),
    Statement(
        id="mme-n-conj",
        title="Conjecture: for N > 2 the MME conditions behave like Eq. (5)",
        location="Appendix B.1.1, remark after Theorem 3 ('We leave the extension to N > 2 base models as future work')",
        statement=r"\text{Tendency: more diverse gradients and larger margins tend to raise the MME radius (open). "
                  r"Sum form: }\|\textstyle\sum_i\nabla f_i^{y_0/y_i}\|\le\frac1r\sum_if_i^{y_0/y_i}\mp N\beta r"
                  r"\text{, so more diverse gradients never lower it (refuted). Margins: raising a member's margins never "
                  r"lowers the radius if } C=2\text{ or } y_0\text{ is each member's top or runner-up class}",
        assumptions=("N >= 3 beta-smooth members with confidences on the simplex",
                     "margin claim: C = 2, or y0 the top or runner-up class of every member on the ball (Theorem 4's (2))"),
        verification="numeric",
        status="open",
        kind="conjecture",
        readings=(
            "tendency (what the paper words: 'we conjecture the tendency would be similar as Equation (5)'): open. "
            "In the N > 2 study a diversifying move certainly raised the exact radius 87 times and certainly lowered "
            "it 10 times (351 moves; 254 left it unchanged or undecided by the brackets): a tendency, not a law.",
            "sum form (Eq. (5) with sums over the N members, so more diverse gradients never lower the radius, and "
            "its -N beta r version certifies): refuted. The 10 falls, and the ridge ensembles X and Y of the note.",
            "margins ('large margins help'): true for C = 2 and under Theorem 4's assumption (2) (max a + min a is "
            "nondecreasing in every margin; test); false for C >= 3 without it (the three-class instance of the note).",
        ),
        evidence=(_T + "test_mme_n_conj_counterexample_hypotheses",
                  _T + "test_mme_n_conj_more_diverse_gradients_can_lower_the_radius",
                  _T + "test_mme_n_conj_sum_form_certificate_is_unsound", _T + "test_mme_n_conj_eq5_form_is_necessary",
                  _T + "test_mme_n_conj_larger_margins_never_lower_the_radius",
                  _T + "test_mme_n_conj_raising_margins_can_lower_the_radius_with_three_classes",
                  _T + "test_mme_n_conj_raising_margins_never_lowers_the_radius_for_any_number_of_classes",
                  _T + "test_mme_n_conj_raising_margins_keeps_y0_under_assumption2"),
        code=("theory.conditions.mme_sum_form_certified_radius", "theory.conditions.mme_partner_value",
              "verify.mme_many.conjecture_study", "verify.mme_many.summarize"),
        printed="'we conjecture the tendency would be similar as Equation (5)' (future work, not a claim)",
        note=r"Which reading each verdict concerns is said in the readings. Diverse gradients: more often helpful "
             r"than harmful in the study (87 certain rises against 10 certain falls; among the 202 moves with exact "
             r"brackets 74 rose, 10 fell), so the tendency reading stays open, but the sum form fails for every "
             r"N = 3..8 tried. Two-class ridge members m_i = 0.02 + Phi(u_i . x) - 1/2 in d = 2 with equal margins "
             r"and gradient norms: X (u at 120 degrees, sum 0, mean cosine -1/2) flips at |x| = 0.2 (the Eq. "
             r"(5)-form certificate claims 0.41); Y (u = e, -e, e, mean cosine -1/3) has max + min = 0.04 "
             r"everywhere, so it is robust at every radius, yet violates the Eq. (5) form at r = 0.41. Margins: with "
             r"three classes raising every margin of one member can lower the radius. Member 1 constant (0.2, 0.425, "
             r"0.375) predicts class 1 with y0 = 0 third (top-two gap 0.05); member 2 (0.55 - 0.1 t, 0.25 + 0.05 t, "
             r"0.2 + 0.05 t), t = 3 tanh(x/3), predicts y0 with gap 0.3 - 0.15 t. The MME flips at x = 3 artanh(5/9) "
             r"= 1.879; raising member 1's margins to (0.24, 0.425, 0.335) (margins -0.225, -0.175 -> -0.185, "
             r"-0.095) widens its gap to 0.09 and the MME flips at 3 artanh(7/15) = 1.517 (brentq). y0 is third for "
             r"member 1, outside assumption (2), under which the claim holds. What holds for every N is the "
             r"pairwise partner condition (mme-n), which suffices.",
    ),
]
