"""Numbering new versions: ``create_next`` on every catalog backend, and concurrent creators
of feature groups and views that each get their own version."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.catalog.base import ATTEMPTS, Catalog, Entry
from featurehouse.catalog.numbering import VersionTaken, create_next
from featurehouse.errors import AlreadyExistsError, ConflictError

KIND = "model"


def test_versions_follow_the_latest(catalog: Catalog) -> None:
    catalog.create(KIND, "fraud", 4, {})
    created = [create_next(catalog, KIND, "fraud", lambda v: {"v": v}) for _ in range(2)]
    assert [(e.version, e.body) for e in created] == [(5, {"v": 5}), (6, {"v": 6})]
    assert create_next(catalog, KIND, "other", lambda _: {}).version == 1


def test_a_number_taken_outside_the_catalog_is_skipped(catalog: Catalog) -> None:
    def body(version: int) -> dict[str, Any]:
        if version < 3:
            raise VersionTaken  # e.g. tables a killed run wrote for versions 1 and 2
        return {}

    assert create_next(catalog, KIND, "fraud", body).version == 3


def test_giving_up_is_a_conflict_naming_the_object_and_the_attempts(catalog: Catalog) -> None:
    tried: list[int] = []

    def body(version: int) -> dict[str, Any]:
        tried.append(version)
        raise VersionTaken

    with pytest.raises(
        ConflictError, match=f"model 'fraud': gave up after {ATTEMPTS} attempts"
    ) as err:
        create_next(catalog, KIND, "fraud", body)
    assert err.value.obj == "fraud" and err.value.retryable
    assert tried == list(range(1, ATTEMPTS + 1))
    assert catalog.list(KIND, "fraud") == []


def test_a_required_entry_changed_meanwhile_is_read_again_without_skipping_a_number(
    catalog: Catalog,
) -> None:
    stale = catalog.create("feature_view", "v", 1, {})
    catalog.update(stale, {"changed": True})
    reads: list[Entry] = []

    def requires() -> list[Entry]:
        reads.append(stale if not reads else catalog.get("feature_view", "v", 1))
        return [reads[-1]]

    created = create_next(catalog, KIND, "fraud", lambda _: {}, requires=requires)
    assert (created.version, len(reads)) == (1, 2)


def test_an_error_of_the_body_is_not_retried(catalog: Catalog) -> None:
    def body(_version: int) -> dict[str, Any]:
        raise AlreadyExistsError("a table of another object exists", obj="t")

    with pytest.raises(AlreadyExistsError, match="another object"):
        create_next(catalog, KIND, "fraud", body)


def run_together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released at once; their results, or raise the first
    error."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_concurrent_creators_without_a_version_each_get_their_own(tmp_path: Path) -> None:
    home = tmp_path / "project"
    with fh.connect(home) as fs:
        schema = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC"))])
        base = fs.create_feature_group("users", primary_key=["id"], event_time="ts", schema=schema)
        query = base.select_all()
    stores = [fh.connect(home) for _ in range(4)]
    try:
        groups = run_together(
            4,
            lambda i: stores[i].create_feature_group("events", primary_key=["id"], event_time="ts"),
        )
        views = run_together(4, lambda i: stores[i].create_feature_view("view", query=query))
    finally:
        for store in stores:
            store.close()
    assert sorted(g.version for g in groups) == [1, 2, 3, 4]
    assert sorted(v.version for v in views) == [1, 2, 3, 4]


def test_an_explicit_version_that_exists_is_still_refused(tmp_path: Path) -> None:
    with fh.connect(tmp_path / "project") as fs:
        fs.create_feature_group("users", primary_key=["id"], event_time="ts", version=2)
        with pytest.raises(AlreadyExistsError, match=r"feature group users:2 already exists"):
            fs.create_feature_group("users", primary_key=["id"], event_time="ts", version=2)
        assert fs.create_feature_group("users", primary_key=["id"], event_time="ts").version == 3
