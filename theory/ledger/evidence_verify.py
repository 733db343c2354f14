"""Evidence from the sampling checks of :mod:`verify`, merged into the ledger by :func:`all_statements`.

Kept apart from the ``entries_*`` modules so that the theory records stay independent of ``verify``:
each ledger id maps to the tests under ``tests/verify/`` that run its checks (and their mutations); the checks
of ``verify/checks/<part>.py`` are tested in ``tests/verify/test_checks_<part>.py``.
"""

VERIFY_EVIDENCE: dict[str, tuple[str, ...]] = {
    "def2": (
        "tests/verify/test_checks_conditions.py::test_propB2_factB1_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "factB1": (
        "tests/verify/test_checks_conditions.py::test_propB2_factB1_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "propB2": (
        "tests/verify/test_checks_conditions.py::test_propB2_factB1_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "def3": (
        "tests/verify/test_checks_conditions.py::test_lemB1_lemB2_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "lemB2": (
        "tests/verify/test_checks_conditions.py::test_lemB1_lemB2_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "thm4": (
        "tests/verify/test_checks_conditions.py::test_lemB1_lemB2_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "lemB1": (
        "tests/verify/test_checks_conditions.py::test_lemB1_lemB2_pointwise_on_grid",
        "tests/verify/test_checks_conditions.py::test_lemB1_ledger_tie_is_found_by_the_tie_rules",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "thm1": (
        "tests/verify/test_checks_conditions.py::test_thm1_on_generated_ensembles",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "eri6": (
        "tests/verify/test_checks_conditions.py::test_thm1_on_generated_ensembles",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "eri-beta": (
        "tests/verify/test_checks_conditions.py::test_thm1_on_generated_ensembles",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "propB3": (
        "tests/verify/test_checks_conditions.py::test_propB3_on_generated_models",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "thm3": (
        "tests/verify/test_checks_conditions.py::test_thm3_on_generated_pairs",
        "tests/verify/test_checks_conditions.py::test_thm3_printed_equality_case_flips",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "cor1-we": (
        "tests/verify/test_checks_comparison.py::test_cor1_corrected_radius_on_generated_instances",
        "tests/verify/test_checks_comparison.py::test_cor1_printed_radius_is_refuted_on_an_adversarial_instance",
        "tests/verify/test_checks_comparison.py::test_check_passes",
        "tests/verify/test_checks_comparison.py::test_mutation_is_caught",
    ),
    "cor1-mme": (
        "tests/verify/test_checks_comparison.py::test_cor1_corrected_radius_on_generated_instances",
        "tests/verify/test_checks_comparison.py::test_check_passes",
        "tests/verify/test_checks_comparison.py::test_mutation_is_caught",
    ),
    "propB1": (
        "tests/verify/test_checks_comparison.py::test_propB1_on_generated_splits",
        "tests/verify/test_checks_comparison.py::test_check_passes",
        "tests/verify/test_checks_comparison.py::test_mutation_is_caught",
    ),
    "cor1-weights": (
        "tests/verify/test_checks_comparison.py::test_check_passes",
        "tests/verify/test_checks_comparison.py::test_mutation_is_caught",
    ),
    "cor1-remark": (
        "tests/verify/test_checks_comparison.py::test_check_passes",
        "tests/verify/test_checks_comparison.py::test_mutation_is_caught",
    ),
    "lemD1": (
        "tests/verify/test_checks_statistical.py::test_lemma_d1_on_generated_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "propD1": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_attained_instance_stays_within_the_false_alarm_budget",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "thm6": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "mcdiarmid": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "propD2": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "thm8": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "thm9": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "thm7": (
        "tests/verify/test_checks_statistical.py::test_constructed_ensembles_are_confident_with_exact_p",
        "tests/verify/test_checks_statistical.py::test_vectorised_decisions_match_the_definitions",
        "tests/verify/test_checks_statistical.py::test_samplers_follow_their_laws",
        "tests/verify/test_checks_statistical.py::test_min_variance_matches_the_density_oracle",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "lemD2": (
        "tests/verify/test_checks_statistical.py::test_lemma_d2_pointwise_on_generated_ensembles",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "lemD3": (
        "tests/verify/test_checks_statistical.py::test_min_variance_matches_the_density_oracle",
        "tests/verify/test_checks_statistical.py::test_empirical_bernstein_covers_bernoulli_means_exactly",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "lemD5": (
        "tests/verify/test_checks_statistical.py::test_empirical_bernstein_covers_bernoulli_means_exactly",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "factD1": (
        "tests/verify/test_checks_statistical.py::test_empirical_bernstein_covers_bernoulli_means_exactly",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "cor5": (
        "tests/verify/test_checks_statistical.py::test_min_variance_matches_the_density_oracle",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "cor6-12": (
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "cor6-3": (
        "tests/verify/test_checks_statistical.py::test_the_printed_corollary6_bullet3_is_refuted_by_its_check",
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
    ),
    "thm2-tight": (
        "tests/verify/test_checks_smoothing.py::test_thm2_tight_bound_piecewise",
        "tests/verify/test_checks_smoothing.py::test_thm2_tight_bound_sigmoid_nets",
        "tests/verify/test_checks_smoothing.py::test_thm2_2d_box_closed_form_and_bound",
        "tests/verify/test_checks_smoothing.py::test_thm2_stein_interval_covers_exact_value",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "thm2": (
        "tests/verify/test_checks_smoothing.py::test_thm2_tight_bound_piecewise",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "thm2-ab": (
        "tests/verify/test_checks_smoothing.py::test_thm2_ab_bound_piecewise",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "propB4": (
        "tests/verify/test_checks_smoothing.py::test_thm2_tight_bound_piecewise",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "lemA1": (
        "tests/verify/test_checks_smoothing.py::test_lemA1_generated_partitions",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "cor2": (
        "tests/verify/test_checks_smoothing.py::test_cor2_generated_band_ensembles",
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "thm5": (
        "tests/verify/test_checks_strategies.py::test_thm5_generated_linear_ensembles",
        "tests/verify/test_checks_strategies.py::test_thm5_printed_radius_is_refuted_by_the_pinned_counterexample",
        "tests/verify/test_checks_strategies.py::test_check_passes",
        "tests/verify/test_checks_strategies.py::test_mutation_caught",
        "tests/verify/test_checks_strategies.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "cor4-1": (
        "tests/verify/test_checks_strategies.py::test_cor4_generated_tuples",
        "tests/verify/test_checks_strategies.py::test_check_passes",
        "tests/verify/test_checks_strategies.py::test_mutation_caught",
        "tests/verify/test_checks_strategies.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "cor4-2": (
        "tests/verify/test_checks_strategies.py::test_cor4_generated_tuples",
        "tests/verify/test_checks_strategies.py::test_check_passes",
        "tests/verify/test_checks_strategies.py::test_mutation_caught",
        "tests/verify/test_checks_strategies.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "cor4-threshold": (
        "tests/verify/test_checks_strategies.py::test_cor4_generated_tuples",
        "tests/verify/test_checks_strategies.py::test_check_passes",
        "tests/verify/test_checks_strategies.py::test_mutation_caught",
        "tests/verify/test_checks_strategies.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "thm2-margin": (
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "propC1": (
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "cor3": (
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "eq8": (
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "def5": (
        "tests/verify/test_checks_smoothing.py::test_check_passes",
        "tests/verify/test_checks_smoothing.py::test_mutation_caught",
        "tests/verify/test_checks_smoothing.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "def6": (
        "tests/verify/test_checks_strategies.py::test_check_passes",
        "tests/verify/test_checks_strategies.py::test_mutation_caught",
        "tests/verify/test_checks_strategies.py::test_every_ledger_entry_of_the_part_has_a_check_with_mutations",
    ),
    "lemD4": (
        "tests/verify/test_checks_statistical.py::test_check_passes",
        "tests/verify/test_checks_statistical.py::test_mutation_is_caught",
        "tests/verify/test_checks_statistical.py::test_every_quantitative_statement_has_a_check_with_mutations",
        "tests/verify/test_coverage.py::test_every_quantitative_statement_has_a_check_with_a_mutation",
    ),
    "gd-pairwise": (
        "tests/verify/test_checks_drt.py::test_check_passes",
        "tests/verify/test_checks_drt.py::test_mutation_is_caught",
        "tests/verify/test_checks_drt.py::test_every_statement_of_the_part_has_a_check_with_mutations",
        "tests/verify/test_coverage.py::test_every_quantitative_statement_has_a_check_with_a_mutation",
    ),
    "gd-cosine": (
        "tests/verify/test_checks_drt.py::test_check_passes",
        "tests/verify/test_checks_drt.py::test_mutation_is_caught",
        "tests/verify/test_checks_drt.py::test_every_statement_of_the_part_has_a_check_with_mutations",
        "tests/verify/test_coverage.py::test_every_quantitative_statement_has_a_check_with_a_mutation",
    ),
}

_CC = "tests/verify/crosscheck/"
#: Tests of the cross-check of trained ensembles (``python -m verify crosscheck``, :mod:`verify.crosscheck`),
#: each on a small ensemble with exact smoothed confidences; merged into the evidence above.
CROSSCHECK_EVIDENCE: dict[str, tuple[str, ...]] = {
    "thm2": (_CC + "test_parts.py::test_part1_second_derivative_bounds_contain_the_exact_values",),
    "thm2-tight": (_CC + "test_parts.py::test_part1_flags_a_constant_below_the_truth",),
    "cor2": (_CC + "test_parts.py::test_part2_bounds_contain_the_exact_margins_and_gradient_norms",
             _CC + "test_parts.py::test_part2_attack_breaks_a_certificate_with_a_wrongly_scaled_constant"),
    "cor3": (_CC + "test_parts.py::test_part2_attack_breaks_a_certificate_with_a_wrongly_scaled_constant",),
    "mme-n": (_CC + "test_parts.py::test_part2_attack_breaks_a_certificate_with_a_wrongly_scaled_constant",),
    "eri7": (_CC + "test_parts.py::test_part2_bounds_contain_the_exact_margins_and_gradient_norms",),
    "cor1-we": (_CC + "test_parts.py::test_corollary1_prediction_meets_its_hypothesis",),
    "cor1-mme": (_CC + "test_parts.py::test_corollary1_prediction_meets_its_hypothesis",),
    "cor4-threshold": (_CC + "test_parts.py::test_corollary4_prediction_matches_the_theory",),
    "cor5": (_CC + "test_parts.py::test_part6_auc_swaps_with_the_labels",
             _CC + "test_parts.py::test_part6_lambda_proxies_follow_their_definitions"),
    "lemA1": (_CC + "test_parts.py::test_part7_an_inflated_certificate_is_caught",),
}
for _id, _tests in CROSSCHECK_EVIDENCE.items():
    VERIFY_EVIDENCE[_id] = VERIFY_EVIDENCE.get(_id, ()) + _tests

#: What the cross-check of the ``cpu`` preset's trained DRT ensemble found (docs/verify/crosscheck/crosscheck.md,
#: section in brackets): whether it agrees with the paper. Rendered in docs/ledger.md beside each entry.
CROSSCHECK_FINDINGS: dict[str, str] = {
    "thm2": "agrees (section 1): no directional second derivative of the members' soft-smoothed confidences is "
            "certainly above the bound; the largest estimate is about 5% of the paper's 2/sigma^2.",
    "thm2-tight": "agrees (section 1), along the directions searched (N + 4 per image: gradient and random): every "
                  "upper confidence bound stays below 2 phi(1)/sigma^2 (the largest is about two thirds of it); "
                  "the largest estimate is 0.2 of it.",
    "cor2": "not refuted (section 2): the attack breaks no certified radius (91 images); at 2x the radius it breaks "
            "14 of 16, at 1.25x none, so this rules out gross inflation only; the certificate is about 0.6 "
            "(tight beta) or 0.4 (paper's beta) of the Cohen radius of the hard-smoothed classifier.",
    "cor3": "untested (section 2): no certified radius of the soft MME is broken, but the attack breaks none even at "
            "2x the radius (0 of 16), so it does not test the certificate.",
    "mme-n": "untested (section 2): the partner certificate of the three-member soft MME is never broken, but the "
             "attack breaks none even at 2x the radius (0 of 16).",
    "eri7": "agrees (section 3): the ERI rank-correlates with the Cohen radius (Spearman about -0.98) and DRT "
            "lowers it against the rho = 0 control (Wilcoxon p < 1e-4).",
    "cor1-we": "no prediction (section 4): trained members' smoothed gradients are nearly parallel (median cos "
               "about 0.97), so the corollary rarely predicts R > r; where it did (control) the two-member EBS "
               "ensemble did not beat both members.",
    "cor1-mme": "no prediction (section 4): as for WE; the condition almost never fires on trained pairs.",
    "cor4-threshold": "agrees (section 5): when p exceeds the threshold, EBS certifies more than EAS in 57 of 58 "
                      "(DRT) and 134 of 135 (control) pairs; the condition is sufficient, far from necessary.",
    "cor5": "not shown (section 6, Figure 6): MME wins against WE wins, ties (277 of 1000) left out, AUC 0.492 "
            "[0.449, 0.535] on 722 images against the paper's 0.66; Y at n = 1000 is noisy (test-retest 63%). "
            "In the paper's setting (docs/verify/figure6-study: rho = (5, 5), where MME wins 0.50 of the decided "
            "images; two training seeds; n = 30,000, 50 images each, Y's test-retest 92 of 100) the AUC is "
            "0.395 [0.218, 0.583] and 0.393 [0.220, 0.566]: not shown either.",
    "lemA1": "agrees (section 7): SmoothAdv inside 0.99 x the certified radius never made PREDICT disagree with a "
             "certificate (0 of 170); the same attack breaks 21 of 32 at 2x and 0 of 32 at 1.25x.",
}
