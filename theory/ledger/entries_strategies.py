"""Ledger entries: Ensemble-before/after-Smoothing (Appendix C: Definition 6, Theorem 5, Corollary 4)."""

from . import Statement

_T = "tests/theory/test_strategies.py::"
_S = "theory.strategies."
_P = "theory.proofs.strategies."

ENTRIES = [
    Statement(
        id="def6",
        title="Ensemble-after-Smoothing",
        location="Appendix C, Definition 6, Eq. (37)",
        statement=r"H^\varepsilon_M(x_0)=G^\varepsilon_{F_c}(x_0),\quad c=\arg\max_{i\in[N]}g^\varepsilon_{F_i}(x_0)_{G^\varepsilon_{F_i}(x_0)}",
        assumptions=("ties broken by the first index",),
        verification="numeric",
        status="verified",
        evidence=(_T + "test_def6_eas_select", _T + "test_def6_selected_member_has_largest_top"),
        code=(_S + "eas_select",),
    ),
    Statement(
        id="thm5",
        title="Certified robustness of Ensemble-after-Smoothing",
        location="Appendix C.1.2, Theorem 5, Eq. (39), and its remark",
        statement=r"r_i=\sigma\Phi^{-1}\big(g^\varepsilon_{F_i}(x_0)_{y_0}\big)\ \text{for every member }i,\ "
                  r"y_0=H^\varepsilon_M(x_0):\quad H^\varepsilon_M\ \text{is}\ \tfrac12\big(\max_ir_i+\min_ir_i\big)\text{-robust at }x_0",
        assumptions=("eps ~ N(0, sigma^2 I)", "p_i(y0) may be lower bounds", "robustness on the open ball",
                     "Phi^{-1}(g_F(.)_y) is (1/sigma)-Lipschitz (Salman et al., 2019)"),
        verification="both",
        status="refuted",
        kind='substantive error',
        evidence=(_T + "test_thm5_printed_radius_counterexample", _T + "test_thm5_counterexample_setup",
                  _T + "test_thm5_corrected_and_sharp_on_counterexample", _T + "test_thm5_symbolic",
                  _T + "test_thm5_factor_half_is_tight", _T + "test_thm5_corrected_radius_is_sound",
                  _T + "test_thm5_sharp_radius_can_exceed_a_sound_printed_one", _T + "test_thm5_required_api",
                  _T + "test_thm5_minimal_repair_is_sound_against_exact_flip_radii",
                  _T + "test_thm5_minimal_repair_on_the_counterexample"),
        code=(_S + "eas_certified_radius", _S + "eas_certified_radius_from_probabilities", _S + "eas_certified_radius_sharp",
              _S + "eas_radius_printed", _S + "eas_member_radii_printed", _S + "eas_radius_repaired",
              _P + "prove_thm5_corrected"),
        printed=r"r_i=\sigma\Phi^{-1}(p_i)\ \text{if}\ G^\varepsilon_{F_i}(x_0)=y_0,\ "
                r"r_i=-\sigma\Phi^{-1}(q_i)\ \text{otherwise},\ r=\tfrac12(\max_ir_i+\min_ir_i)",
        note="Counterexample (4 classes, d = 2, closed-form members): A is linear two-class along e1 with p_A(y0) = 0.6, "
             "B depends on x2 only with smoothed vector (0.24, 0.26, 0.25, 0.25), predicting a wrong class with "
             "q = 0.26. EAS picks A and predicts y0; the printed radius is (0.643 + 0.253)/2 sigma = 0.448 sigma, yet "
             "moving 0.26 sigma along -e1 flips A (and EAS). The max must not run over wrong members with q < 1/2 "
             "(their printed r_i > 0); the remark 'a wrong member has r_i <= 0' assumes q_i >= 1/2, which always holds "
             "with two classes. Minimal repair: take the max only over the members that predict y0 (equivalently, "
             "assume a wrong member's top probability is at least 1/2); the printed r_i and the min over all members "
             "stay. It is sound (proof in theory.strategies.eas_radius_repaired; tested against flip radii found by "
             "root finding on random linear ensembles), equals the printed radius whenever that assumption holds, "
             "and is exact on the counterexample: 0.253 sigma, the true radius, where the headline correction below "
             "certifies nothing ((0.253 - 0.706)/2 = -0.227 sigma). Headline correction (proved, weaker): "
             "r_i = sigma Phi^{-1}(p_i(y0)) for every member; the factor 1/2 is tight. Sharper and still sound: (max_i sigma Phi^{-1}(p_i(y0)) + min_i -sigma Phi^{-1}(max_{y!=y0} "
             "p_i(y)))/2, exact (0.253 sigma) on the counterexample. With more than two classes it can exceed a sound "
             "printed radius: one member (0.6, 0.2, 0.2) gets 0.253 sigma printed and 0.547 sigma sharp, both sound.",
    ),
    Statement(
        id="cor4-threshold",
        title="EBS vs EAS threshold identity",
        location="Appendix C.2, proof of Corollary 4, part 1",
        statement=r"\frac12+\Big(2+\frac{4(p_b-p_{ab})}{\delta}\Big)^{-1}=\frac{p_a-p_{ab}}{p_a+p_b-2p_{ab}},\quad p_a=p_b+\delta,\ \delta>0",
        assumptions=("p_a >= p_b", "feasible: max(0, p_a + p_b - 1) <= p_ab <= p_b"),
        verification="both",
        status="verified",
        evidence=(_T + "test_cor4_threshold_symbolic", _T + "test_cor4_threshold_printed_form",
                  _T + "test_cor4_threshold_delta_zero_and_remark"),
        code=(_S + "cor4_threshold", _P + "prove_cor4_threshold"),
        note="At delta = 0 the printed form is undefined; its limit, and the right-hand side, is 1/2. The remark's 2/3 "
             "is the value at p_min - p_ab = delta.",
    ),
    Statement(
        id="cor4-1",
        title="EBS beats EAS when the MME resolves disagreements well",
        location="Appendix C.2, Corollary 4, part 1",
        statement=r"p>\frac{p_a-p_{ab}}{p_a+p_b-2p_{ab}}\ \Rightarrow\ r_G=\sigma\Phi^{-1}\big(p_{ab}+p(p_a+p_b-2p_{ab})\big)"
                  r">\frac\sigma2\big(\Phi^{-1}(p_a)+\Phi^{-1}(p_b)\big)=r_H",
        assumptions=("two members both predicting y0 with p_a, p_b in (1/2, 1)", "p_a >= p_b",
                     "max(0, p_a + p_b - 1) <= p_ab <= p_b and p_a + p_b - 2 p_ab > 0 (so p is defined)"),
        verification="both",
        status="verified",
        evidence=(_T + "test_cor4_parts_on_exhaustive_grid", _T + "test_cor4_parts_random",
                  _T + "test_cor4_threshold_symbolic", _T + "test_cor4_ebs_probability_by_enumeration"),
        code=(_S + "cor4_radius_ebs", _S + "cor4_radius_eas", _S + "ebs_mme_probability", _S + "cor4_feasible",
              _P + "prove_cor4_part1_step"),
    ),
    Statement(
        id="cor4-2",
        title="EAS is at least as good as EBS when the MME resolves disagreements badly",
        location="Appendix C.2, Corollary 4, part 2",
        statement=r"p\le\tfrac12\ \Rightarrow\ r_H\ge r_G,\ \text{since}\ p_{ab}+p(p_a+p_b-2p_{ab})\le\tfrac{p_a+p_b}{2}\ "
                  r"\text{and}\ \Phi^{-1}\ \text{is convex on}\ [\tfrac12,1)",
        assumptions=("as in cor4-1",),
        verification="both",
        status="verified",
        evidence=(_T + "test_cor4_parts_on_exhaustive_grid", _T + "test_cor4_parts_random", _T + "test_cor4_threshold_symbolic"),
        code=(_S + "cor4_radius_ebs", _S + "cor4_radius_eas", _P + "prove_cor4_part2_step", _P + "prove_phi_inverse_convex"),
    ),
]
