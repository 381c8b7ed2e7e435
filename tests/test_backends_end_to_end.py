"""The same feature group code on every catalog and online store: embedded SQLite, and
PostgreSQL + Redis (the real servers on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import featurehouse as fh

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["embedded", "postgres+redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> fh.FeatureStore:
    if request.param == "embedded":
        fs = fh.connect(tmp_path)
    else:
        postgres = request.getfixturevalue("postgres_url")
        redis = request.getfixturevalue("redis_url")
        fs = fh.connect(tmp_path, catalog=postgres, online=redis)
    request.addfinalizer(fs.close)
    return fs


def test_feature_group_lifecycle(store: fh.FeatureStore, tmp_path: Path) -> None:
    fg = store.create_feature_group(
        "tx", primary_key=["cc_num", "merchant"], event_time="ts", online=True, tags={"t": "1"}
    )
    first = fg.insert(
        [
            {
                "cc_num": i % 7,
                "merchant": f"m{i % 3}",
                "ts": T0 + timedelta(minutes=i),
                "v": float(i),
            }
            for i in range(50)
        ]
    )
    assert first.rows_inserted == 50
    fg.insert([{"cc_num": 0, "merchant": "m0", "ts": T0, "v": -1.0, "note": "fixed"}])
    assert fg.read().num_rows == 50
    assert fg.read(as_of=first.version).num_rows == 50
    latest = fg.get_online({"cc_num": 6, "merchant": "m2"})
    assert latest is not None and latest["v"] == 41.0 and latest["note"] is None
    fg.delete(keys=[{"cc_num": 6, "merchant": "m2"}])
    assert fg.get_online({"cc_num": 6, "merchant": "m2"}) is None
    # A second connection to the same services sees the same project.
    with fh.connect(
        tmp_path, catalog=store.settings.catalog, online=store.settings.online
    ) as again:
        other = again.get_feature_group("tx")
        assert other.tags == {"t": "1"}
        assert other.schema is not None and other.schema.names[-1] == "note"
        assert other.get_online({"cc_num": 0, "merchant": "m0"}) == fg.get_online(
            {"cc_num": 0, "merchant": "m0"}
        )
