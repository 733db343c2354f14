"""Statistical hygiene of the Monte-Carlo checks: exact binomial bounds with a stated false-alarm rate.

A sampling check compares an empirical frequency with a claimed bound. It raises an alarm only when
the exact one-sided Clopper-Pearson bound at level ``false_alarm`` lies beyond the claim, so that a true
claim is flagged with probability at most ``false_alarm`` (1e-6 by default) whatever the sample size.
The bounds are :func:`theory.smoothing.clopper_pearson_lower` and ``clopper_pearson_upper`` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from theory.smoothing import clopper_pearson_lower, clopper_pearson_upper

__all__ = ["FALSE_ALARM", "CheckResult", "clopper_pearson_lower", "clopper_pearson_upper",
           "check_rate_at_most", "check_rate_at_least", "hoeffding_halfwidth", "alarm_probability"]

FALSE_ALARM = 1e-6


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one sampling check, with everything needed to read it."""

    name: str
    passed: bool
    samples: int
    false_alarm: float
    estimate: float
    claim: float
    detail: str = ""


def check_rate_at_most(name: str, k, n, claim: float, false_alarm: float = FALSE_ALARM) -> CheckResult:
    """Claim: the event's probability is at most ``claim``. Alarm when the lower bound exceeds it."""
    lower = float(clopper_pearson_lower(k, n, false_alarm))
    return CheckResult(name, lower <= claim, int(n), false_alarm, int(k) / int(n), float(claim),
                       f"lower {1 - false_alarm:.6g}-confidence bound {lower:.6g} vs claim <= {claim:.6g}")


def check_rate_at_least(name: str, k, n, claim: float, false_alarm: float = FALSE_ALARM) -> CheckResult:
    """Claim: the event's probability is at least ``claim``. Alarm when the upper bound is below it."""
    upper = float(clopper_pearson_upper(k, n, false_alarm))
    return CheckResult(name, upper >= claim, int(n), false_alarm, int(k) / int(n), float(claim),
                       f"upper {1 - false_alarm:.6g}-confidence bound {upper:.6g} vs claim >= {claim:.6g}")


def hoeffding_halfwidth(n: int, value_range: float, false_alarm: float = FALSE_ALARM) -> float:
    """Two-sided Hoeffding half-width for the mean of ``n`` i.i.d. variables in an interval of that length."""
    if n < 1 or value_range < 0:
        raise ValueError("need n >= 1 and a nonnegative range")
    return float(value_range * np.sqrt(np.log(2 / false_alarm) / (2 * n)))


def alarm_probability(n: int, p_true: float, claim: float, false_alarm: float = FALSE_ALARM,
                      at_most: bool = True) -> float:
    """Exact probability that :func:`check_rate_at_most` (or ``_at_least``) alarms when the rate is ``p_true``.

    Sums ``binom.pmf`` over the counts that alarm, so the false-alarm guarantee and the power of a check
    can be computed without sampling.
    """
    ks = np.arange(n + 1)
    if at_most:
        alarms = clopper_pearson_lower(ks, n, false_alarm) > claim
    else:
        alarms = clopper_pearson_upper(ks, n, false_alarm) < claim
    return float(stats.binom.pmf(ks[alarms], n, p_true).sum())
