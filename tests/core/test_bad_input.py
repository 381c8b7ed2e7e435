"""Bad input gets a clear featurehouse error, and nothing is written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import (
    AlreadyExistsError,
    DataError,
    FeaturehouseError,
    InvalidNameError,
    NotFoundError,
    SchemaError,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GOOD = [{"cc_num": 1, "ts": T0, "amount": 1.0, "category": "a"}]


@pytest.fixture
def fg(fs: fh.FeatureStore) -> fh.FeatureGroup:
    group = fs.create_feature_group(
        "transactions", primary_key=["cc_num"], event_time="ts", online=True
    )
    group.insert(GOOD)
    return group


def state(fg: fh.FeatureGroup) -> tuple[int, int, Any]:
    return fg.commits()[-1].version, fg.read().num_rows, fg.get_online({"cc_num": 1})


def row(**changes: Any) -> list[dict[str, Any]]:
    return [{**GOOD[0], "cc_num": 2, **changes}]


BAD_INSERTS: dict[str, tuple[Any, type[FeaturehouseError], str | None]] = {
    "null key": (row(cc_num=None), DataError, "cc_num"),
    "null event time": (row(ts=None), DataError, "ts"),
    "missing key column": ([{"ts": T0, "amount": 1.0, "category": "a"}], SchemaError, "cc_num"),
    "missing event time": ([{"cc_num": 2, "amount": 1.0, "category": "a"}], SchemaError, "ts"),
    "missing feature column": ([{"cc_num": 2, "ts": T0, "amount": 1.0}], SchemaError, "category"),
    "wrong type": (row(amount="lots"), SchemaError, "amount"),
    "wrong key type": (row(cc_num="one"), SchemaError, "cc_num"),
    "event time as text": (row(ts="2026-01-01"), SchemaError, "ts"),
    "value out of range": (
        pa.table(
            {
                "cc_num": pa.array([2**40], pa.uint64()),
                "ts": [T0],
                "amount": [1.0],
                "category": ["a"],
            }
        ).set_column(0, "cc_num", pa.array([2**64 - 1], pa.uint64())),
        SchemaError,
        "cc_num",
    ),
    "empty insert": ([], DataError, None),
    "empty table": (pa.table({"cc_num": pa.array([], pa.int64())}), DataError, None),
    "invalid column name": (row(**{"bad name": 1}), InvalidNameError, "bad name"),
    "reserved column name": (row(_fh_row=1), InvalidNameError, "_fh_row"),
    "not a table": (42, DataError, None),
    "rows that are not dicts": ([1, 2], DataError, None),
    "int beyond 64 bits in a list of dicts": (row(amount=2**63), SchemaError, "amount"),
    "int beyond 64 bits in a dict of columns": (
        {"cc_num": [2], "ts": [T0], "amount": [-(2**64)], "category": ["a"]},
        SchemaError,
        "amount",
    ),
    "ints and strings in one column": (
        [*row(), *row(cc_num=3, category=7)],
        SchemaError,
        "category",
    ),
    "ints and strings in a pandas column": (
        pd.DataFrame(
            {"cc_num": [2, 3], "ts": [T0, T0], "amount": [1.0, 2.0], "category": ["a", 1]}
        ),
        SchemaError,
        "category",
    ),
    "repeated column in pandas": (
        pd.DataFrame(
            [[2, T0, 1.0, "a", 2.0]], columns=["cc_num", "ts", "amount", "category", "amount"]
        ),
        InvalidNameError,
        "amount",
    ),
    "repeated column in arrow": (
        pa.table(
            [[2], [T0], [1.0], ["a"], ["b"]],
            names=["cc_num", "ts", "amount", "category", "category"],
        ),
        InvalidNameError,
        "category",
    ),
    "columns differing only in case": (row(Amount=1.0), InvalidNameError, "Amount"),
    "new columns differing only in case": (row(extra=1, EXTRA=2), InvalidNameError, "EXTRA"),
    "NaN key": (row(cc_num=float("nan")), SchemaError, "cc_num"),
}


@pytest.mark.parametrize("case", BAD_INSERTS)
def test_bad_insert_raises_and_writes_nothing(fg: fh.FeatureGroup, case: str) -> None:
    data, error, column = BAD_INSERTS[case]
    before = state(fg)
    with pytest.raises(error) as info:
        fg.insert(data)
    assert info.value.obj is not None and "transactions" in str(info.value)
    if column is not None:
        assert info.value.column == column
        assert repr(column) in str(info.value) or column in str(info.value)
    assert state(fg) == before
    assert fg.get_online({"cc_num": 2}) is None


def test_wrong_type_error_names_expected_and_received(fg: fh.FeatureGroup) -> None:
    with pytest.raises(SchemaError) as info:
        fg.insert(row(amount="lots"))
    assert (info.value.expected, info.value.received) == ("double", "string")
    assert "double" in str(info.value) and "string" in str(info.value)


def test_new_column_of_unstorable_type_is_refused(fg: fh.FeatureGroup) -> None:
    before = state(fg)
    with pytest.raises(SchemaError, match="new version"):
        fg.insert(row(extra=None))
    assert state(fg) == before


def test_unknown_group_and_version(fs: fh.FeatureStore, fg: fh.FeatureGroup) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        fs.get_feature_group("nope")
    with pytest.raises(NotFoundError, match="version 7"):
        fs.get_feature_group("transactions", version=7)
    with pytest.raises(KeyError):  # NotFoundError is also a KeyError
        fs.get_feature_group("nope")


def test_duplicate_create(fs: fh.FeatureStore, fg: fh.FeatureGroup) -> None:
    with pytest.raises(AlreadyExistsError, match="version 2"):
        fs.create_feature_group("transactions", version=1, primary_key=["cc_num"], event_time="ts")
    assert state(fg)[1] == 1


@pytest.mark.parametrize("name", ["Transactions", "1tx", "tx-1", "", "x" * 64, "tx;drop", "tx\n"])
def test_invalid_group_name(fs: fh.FeatureStore, name: str) -> None:
    with pytest.raises(InvalidNameError):
        fs.create_feature_group(name, primary_key=["id"], event_time="ts")
    assert fs.list_feature_groups() == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"primary_key": [], "event_time": "ts"}, SchemaError),
        ({"primary_key": ["ts"], "event_time": "ts"}, SchemaError),
        ({"primary_key": ["id"], "event_time": "bad col"}, InvalidNameError),
        ({"primary_key": ["id"], "event_time": "ts", "version": 0}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "version": 2**70}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "version": True}, SchemaError),
        ({"primary_key": ["id", "id"], "event_time": "ts"}, SchemaError),
        ({"primary_key": ["id", "ID"], "event_time": "ts"}, InvalidNameError),
        ({"primary_key": ["id"], "event_time": "ts", "ttl": float("nan")}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "ttl": float("inf")}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "ttl": "1d"}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "ttl": -1}, SchemaError),
        ({"primary_key": ["id"], "event_time": "ts", "ttl": 1e300}, SchemaError),
        (
            {"primary_key": ["id"], "event_time": "ts", "schema": pa.schema([("id", pa.int64())])},
            SchemaError,
        ),
        (
            {
                "primary_key": ["id"],
                "event_time": "ts",
                "schema": pa.schema([("id", pa.int64()), ("ts", pa.string())]),
            },
            SchemaError,
        ),
    ],
)
def test_invalid_definition(
    fs: fh.FeatureStore, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        fs.create_feature_group("tx", **kwargs)
    assert fs.list_feature_groups() == []


BAD_CALLS: dict[str, tuple[Callable[[fh.FeatureGroup], object], type[FeaturehouseError]]] = {
    "online key with a wrong field": (lambda g: g.get_online({"card": 1}), DataError),
    "online key that is not a dict": (lambda g: g.get_online([1]), DataError),  # type: ignore[list-item]
    "delete with keys and where": (
        lambda g: g.delete({"cc_num": 1}, where="amount > 0"),
        DataError,
    ),
    "delete with neither": (lambda g: g.delete(), DataError),
    "delete keys missing a column": (lambda g: g.delete([{"card": 1}]), SchemaError),
    "delete keys of wrong type": (lambda g: g.delete([{"cc_num": "x"}]), SchemaError),
    "delete no keys": (lambda g: g.delete([]), DataError),
    "delete with a bad predicate": (lambda g: g.delete(where="no_such_column > 1"), SchemaError),
    "read an unknown column": (lambda g: g.read(columns=["nope"]), SchemaError),
    "read an unknown version": (lambda g: g.read(as_of=99), NotFoundError),
}


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_calls_raise_and_change_nothing(fg: fh.FeatureGroup, case: str) -> None:
    call, error = BAD_CALLS[case]
    before = state(fg)
    with pytest.raises(error):
        call(fg)
    assert state(fg) == before


def test_online_lookup_on_an_offline_group(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("offline_only", primary_key=["id"], event_time="ts")
    with pytest.raises(DataError, match="not online"):
        group.get_online({"id": 1})


def test_first_insert_with_an_all_null_column_cannot_infer_its_type(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("fresh", primary_key=["id"], event_time="ts")
    with pytest.raises(SchemaError, match="every value is null"):
        group.insert([{"id": 1, "ts": T0, "x": None}])
    assert group.commits() == [] or group.read().num_rows == 0


def test_a_version_beyond_64_bits_is_refused(fs: fh.FeatureStore, fg: fh.FeatureGroup) -> None:
    fs.create_feature_view("view", query=fg.select_all())
    calls: list[Callable[[], object]] = [
        lambda: fs.get_feature_group("transactions", version=2**70),
        lambda: fs.get_feature_view("view", version=2**70),
        lambda: fs.create_feature_view("view", query=fg.select_all(), version=2**70),
    ]
    for call in calls:
        with pytest.raises(SchemaError, match="version must be an integer") as info:
            call()
        assert info.value.received == 2**70
    assert [v.version for v in fs.list_feature_views()] == [1]


def test_a_bad_ttl_in_a_repo_file_is_a_clear_plan_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "groups.py").write_text(
        "import featurehouse as fh\n"
        'cards = fh.repo.FeatureGroup(name="cards", primary_key=["id"], event_time="ts", '
        'schema={"id": "int64", "ts": "timestamp"}, ttl="365d")\n'
    )
    command = [sys.executable, "-m", "featurehouse.cli.main", "plan", str(repo)]
    result = subprocess.run(
        [*command, "-p", str(tmp_path / "project")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr and "ttl" in result.stderr and "'365d'" in result.stderr
