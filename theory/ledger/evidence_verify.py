"""Evidence from the sampling checks of :mod:`verify`, merged into the ledger by :func:`all_statements`.

Kept apart from the ``entries_*`` modules so that the theory records stay independent of ``verify``:
each ledger id maps to the tests under ``tests/verify/`` that run its checks (and their mutations).
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
        "tests/verify/test_checks_conditions.py::test_cor1_corrected_radius_on_generated_instances",
        "tests/verify/test_checks_conditions.py::test_cor1_printed_radius_is_refuted_on_an_adversarial_instance",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "cor1-mme": (
        "tests/verify/test_checks_conditions.py::test_cor1_corrected_radius_on_generated_instances",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "propB1": (
        "tests/verify/test_checks_conditions.py::test_propB1_on_generated_splits",
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "cor1-weights": (
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
    ),
    "cor1-remark": (
        "tests/verify/test_checks_conditions.py::test_check_passes",
        "tests/verify/test_checks_conditions.py::test_mutation_is_caught",
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
}
