"""Declaring expectations: ``expect.not_null("amount")``, ``expect.between("amount", 0, 100)``.

Nulls (and NaN) pass every value check but ``not_null``: say ``not_null`` where a value
is required. Bounds are inclusive unless ``inclusive`` says otherwise ("both", "neither",
"left", "right"); a bound of None is open. Row-level checks take ``mostly``: the fraction
of checked values that must pass for the expectation to pass.

>>> fg.set_expectations([
...     expect.not_null("amount"),
...     expect.between("amount", 0, 10_000, inclusive="left"),
...     expect.in_set("category", ["food", "travel"]),
...     expect.check(mymodule.positive_when_refund, name="refunds_are_positive"),  # @fh.check
... ])
"""

from featurehouse.validation.constructors import (
    between,
    check,
    in_set,
    length_between,
    mean_between,
    not_null,
    quantile_between,
    regex,
    row_count_between,
    stddev_between,
    unique,
)
from featurehouse.validation.great_expectations import from_great_expectations

__all__ = [
    "between",
    "check",
    "from_great_expectations",
    "in_set",
    "length_between",
    "mean_between",
    "not_null",
    "quantile_between",
    "regex",
    "row_count_between",
    "stddev_between",
    "unique",
]
