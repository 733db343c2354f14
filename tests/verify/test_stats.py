"""The sampling checks' false-alarm rate and power, computed exactly (no sampling)."""

from __future__ import annotations

import pytest

from verify.stats import (FALSE_ALARM, alarm_probability, check_rate_at_least, check_rate_at_most,
                          clopper_pearson_lower, clopper_pearson_upper, hoeffding_halfwidth)


@pytest.mark.parametrize("n", [1, 10, 1000, 20000])
@pytest.mark.parametrize("claim", [0.001, 0.1, 0.5, 0.97])
def test_false_alarm_rate_is_at_most_stated(n, claim):
    assert alarm_probability(n, claim, claim, at_most=True) <= FALSE_ALARM
    assert alarm_probability(n, claim, claim, at_most=False) <= FALSE_ALARM


def test_checks_have_power_against_a_violated_claim():
    # 20,000 samples detect a rate 0.02 above the claim almost surely.
    assert alarm_probability(20000, 0.12, 0.10, at_most=True) > 0.999
    assert alarm_probability(20000, 0.08, 0.10, at_most=False) > 0.999


def test_edge_counts():
    assert clopper_pearson_lower(0, 50, 0.01) == 0.0
    assert clopper_pearson_upper(50, 50, 0.01) == 1.0
    assert clopper_pearson_lower(50, 50, 0.01) == pytest.approx(0.01 ** (1 / 50))


def test_check_results_read_correctly():
    assert check_rate_at_most("x", 10, 1000, 0.02).passed
    assert not check_rate_at_most("x", 100, 1000, 0.02).passed
    assert check_rate_at_least("x", 990, 1000, 0.98).passed
    assert not check_rate_at_least("x", 900, 1000, 0.98).passed


def test_bad_counts_are_rejected():
    with pytest.raises(ValueError):
        clopper_pearson_lower(5, 3, 0.1)
    with pytest.raises(ValueError):
        hoeffding_halfwidth(0, 1.0)
