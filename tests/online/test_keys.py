"""Lookup keys conformed to their column's type: lossless conversions only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from featurehouse.errors import DataError
from featurehouse.online.keys import conform_key_value

MOMENT = datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (pa.int64(), np.int64(-(2**63)), -(2**63)),
        (pa.int64(), np.uint64(2**63 - 1), 2**63 - 1),
        (pa.int8(), np.float32(-128.0), -128),
        (pa.int32(), 7.0, 7),
        (pa.float64(), np.int64(2**53), 2.0**53),
        (pa.float32(), np.float32(0.1), float(np.float32(0.1))),
        (pa.float64(), np.float16(0.5), 0.5),
        (pa.string(), np.str_("é☃"), "é☃"),
        (pa.string(), "", ""),
        (pa.binary(), np.bytes_(b"\x00"), b"\x00"),
        (pa.bool_(), np.bool_(False), False),
        (pa.decimal128(9, 2), Decimal("1.5"), Decimal("1.50")),
        (pa.timestamp("us", tz="UTC"), MOMENT.replace(tzinfo=None), MOMENT),
        (pa.timestamp("us", tz="UTC"), MOMENT.astimezone(timezone(timedelta(hours=-5))), MOMENT),
        (pa.timestamp("us", tz="UTC"), pd.Timestamp(MOMENT), MOMENT),
        (pa.timestamp("us", tz="UTC"), np.datetime64("2024-02-29T12:00:00.123456000"), MOMENT),
        (pa.date32(), np.datetime64("1900-01-01"), date(1900, 1, 1)),
    ],
)
def test_lossless_conversions(kind: pa.DataType, value: Any, expected: Any) -> None:
    converted = conform_key_value("g:1", "k", kind, value)
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (pa.int64(), "1"),
        (pa.int64(), True),
        (pa.int64(), 1.5),
        (pa.int64(), float("nan")),
        (pa.int64(), [1]),
        (pa.int64(), None),
        (pa.int8(), 128),
        (pa.int64(), np.uint64(2**63)),
        (pa.float64(), np.int64(2**53 + 1)),
        (pa.float32(), 0.1),
        (pa.float32(), 1e300),
        (pa.float64(), float("nan")),
        (pa.string(), 1),
        (pa.string(), b"a"),
        (pa.binary(), "a"),
        (pa.bool_(), 1),
        (pa.decimal128(9, 2), Decimal("1.005")),
        (pa.decimal128(9, 2), 1.5),
        (pa.timestamp("us", tz="UTC"), pd.Timestamp("2024-01-01 00:00:00.000000001")),
        (pa.timestamp("us", tz="UTC"), "2024-01-01"),
        (pa.timestamp("us", tz="UTC"), date(2024, 1, 1)),
        (pa.timestamp("us", tz="UTC"), np.datetime64("NaT")),
        (pa.date32(), MOMENT),
        (pa.list_(pa.int64()), [1]),
    ],
)
def test_other_values_are_refused_naming_the_key_column(kind: pa.DataType, value: Any) -> None:
    with pytest.raises(DataError) as caught:
        conform_key_value("g:1", "k", kind, value)
    assert caught.value.column == "k"
    assert "g:1" in str(caught.value) and "'k'" in str(caught.value)
