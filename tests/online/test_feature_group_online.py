"""The online path of feature groups and views over each online store: lookup keys are
conformed to their column's type, a Redis that lost its rows is rebuilt, and projects
sharing one Redis keep their rows apart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

import featurehouse as fh
from featurehouse.config import Settings
from featurehouse.errors import DataError

T0 = datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def online(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/online.db"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def cards(tmp_path: Path, online: str) -> Iterator[fh.FeatureGroup]:
    fs = fh.connect(tmp_path / "project", online=online)
    fg = fs.create_feature_group(
        "cards", version=1, primary_key=["card"], event_time="ts", online=True
    )
    fg.insert(pd.DataFrame({"card": [1, 2], "ts": [T0, T0], "amount": [10.0, 20.0]}))
    yield fg
    fs.close()


def test_a_key_from_a_pandas_column_finds_its_row(cards: fh.FeatureGroup) -> None:
    key = pd.DataFrame({"card": [1]})["card"][0]
    assert isinstance(key, np.int64)
    row = cards.get_online({"card": key})
    assert row is not None and row["amount"] == 10.0
    for same in (np.int32(2), np.float64(2.0), 2.0, np.uint8(2)):
        found = cards.get_online({"card": same})
        assert found is not None and found["amount"] == 20.0, same


@pytest.mark.parametrize("wrong", ["1", "01", "1.0", True, np.bool_(True), 1.5, [1], None, 2**63])
def test_a_key_of_the_wrong_type_is_refused_naming_the_column(
    cards: fh.FeatureGroup, wrong: Any
) -> None:
    with pytest.raises(DataError) as caught:
        cards.get_online({"card": wrong})
    assert caught.value.column == "card"
    assert "card" in str(caught.value) and "int64" in str(caught.value)


def test_feature_vectors_take_numpy_keys(tmp_path: Path, online: str) -> None:
    with fh.connect(tmp_path / "project", online=online) as fs:
        fg = fs.create_feature_group(
            "cards", version=1, primary_key=["card"], event_time="ts", online=True
        )
        fg.insert(pd.DataFrame({"card": [7], "ts": [T0], "amount": [1.5]}))
        view = fs.create_feature_view("v", version=1, query=fg.select(["amount"]))
        assert view.get_feature_vector({"card": np.int64(7)}) == {"amount": 1.5}
        with pytest.raises(DataError) as caught:
            view.get_feature_vector({"card": "7"})
        assert caught.value.column == "card"


# -- an emptied Redis ---------------------------------------------------------------------


def flush(redis_url: str) -> None:
    """Delete every key of this test (its URI prefix): what a restart without persistence,
    a FLUSHDB or an eviction does to the project's rows."""
    import redis

    prefix = parse_qs(urlsplit(redis_url).query)["prefix"][0]
    client = redis.Redis.from_url(redis_url.split("?", 1)[0])
    try:
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        assert keys
        client.delete(*keys)
    finally:
        client.close()


def amounts(fg: fh.FeatureGroup, cards: range) -> list[float | None]:
    return [None if r is None else r["amount"] for r in fg.get_online([{"card": c} for c in cards])]


@pytest.mark.redis
def test_an_emptied_redis_is_rebuilt_by_sync_online_and_by_the_next_insert(
    tmp_path: Path, redis_url: str
) -> None:
    with fh.connect(tmp_path / "project", online=redis_url) as fs:
        fg = fs.create_feature_group(
            "cards", version=1, primary_key=["card"], event_time="ts", online=True
        )
        fg.insert(
            pd.DataFrame(
                {"card": range(100), "ts": [T0] * 100, "amount": [float(c) for c in range(100)]}
            )
        )
        expected = [float(c) for c in range(100)]
        flush(redis_url)
        assert amounts(fg, range(100)) == [None] * 100
        assert fg.sync_online() == 100
        assert amounts(fg, range(100)) == expected

        flush(redis_url)
        later = T0 + timedelta(days=1)
        fg.insert(pd.DataFrame({"card": [100], "ts": [later], "amount": [100.0]}))
        assert amounts(fg, range(101)) == [*expected, 100.0]
        assert fg.sync_online() == 0  # nothing left to repair


# -- projects sharing one Redis -------------------------------------------------------------


def project(home: Path, online: str) -> tuple[fh.FeatureStore, fh.FeatureGroup]:
    fs = fh.connect(home, online=online)
    fg = fs.create_feature_group(
        "cards", version=1, primary_key=["card"], event_time="ts", online=True
    )
    return fs, fg


@pytest.mark.redis
def test_projects_sharing_a_redis_keep_their_rows_apart(tmp_path: Path, redis_url: str) -> None:
    fs_a, a = project(tmp_path / "a", redis_url)
    fs_b, b = project(tmp_path / "b", redis_url)
    try:
        a.insert(pd.DataFrame({"card": [1], "ts": [T0], "amount": [1.0]}))
        assert b.get_online({"card": 1}) is None
        b.insert(pd.DataFrame({"card": [1], "ts": [T0], "amount": [2.0]}))
        b.delete({"card": 1})
        assert b.get_online({"card": 1}) is None
        row = a.get_online({"card": 1})
        assert row is not None and row["amount"] == 1.0
    finally:
        fs_a.close()
        fs_b.close()
    # The namespace is the project's own: reopened, project a finds its row again.
    with fh.connect(tmp_path / "a", online=redis_url) as fs:
        row = fs.get_feature_group("cards", 1).get_online({"card": 1})
        assert row is not None and row["amount"] == 1.0


@pytest.mark.redis
def test_the_online_key_prefix_is_a_setting(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = f"shared-{uuid.uuid4().hex[:6]}:"
    monkeypatch.setenv("FEATUREHOUSE_ONLINE_KEY_PREFIX", shared)
    assert Settings.load(tmp_path / "a").online_key_prefix == shared
    # Two projects given one prefix deliberately share their rows.
    fs_a, a = project(tmp_path / "a", redis_url)
    fs_b, b = project(tmp_path / "b", redis_url)
    try:
        a.insert(pd.DataFrame({"card": [1], "ts": [T0], "amount": [1.0]}))
        b.insert(pd.DataFrame({"card": [2], "ts": [T0], "amount": [2.0]}))
        row = b.get_online({"card": 1})
        assert row is not None and row["amount"] == 1.0
    finally:
        fs_a.close()
        fs_b.close()
