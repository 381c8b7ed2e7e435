"""The catalog contract, run against every backend (SQLite file, real PostgreSQL)."""

from __future__ import annotations

import pytest

from featurehouse.catalog.base import Catalog, JsonBody, update_with_retry
from featurehouse.errors import AlreadyExistsError, ConflictError, NotFoundError

FG = "feature_group"
MODEL = "model"


def test_create_then_get(catalog: Catalog) -> None:
    body = {"primary_key": ["id"], "tags": {"team": "risk"}, "ttl": None, "n": 1.5}
    created = catalog.create(FG, "transactions", 1, body)
    assert (created.kind, created.name, created.version, created.revision) == (
        FG,
        "transactions",
        1,
        1,
    )
    assert created.body == body
    assert created.created_at.utcoffset() is not None
    got = catalog.get(FG, "transactions", 1)
    assert (got.revision, got.body) == (1, body)
    assert got.created_at == created.created_at
    assert got.updated_at.utcoffset() is not None


def test_get_without_version_is_the_latest(catalog: Catalog) -> None:
    for version in (1, 3, 2):
        catalog.create(FG, "transactions", version, {"v": version})
    catalog.create(FG, "other", 9, {"v": 9})
    catalog.create(MODEL, "transactions", 7, {"v": 7})
    assert catalog.get(FG, "transactions").version == 3
    assert catalog.get(FG, "transactions").body == {"v": 3}
    assert catalog.get(FG, "transactions", 2).body == {"v": 2}


def test_unknown_name_or_version_is_not_found(catalog: Catalog) -> None:
    catalog.create(FG, "transactions", 1, {})
    with pytest.raises(NotFoundError):
        catalog.get(FG, "nope")
    with pytest.raises(NotFoundError):
        catalog.get(FG, "transactions", 2)
    with pytest.raises(NotFoundError):
        catalog.get(MODEL, "transactions")  # kinds are separate
    with pytest.raises(KeyError):  # NotFoundError is also a KeyError
        catalog.get(FG, "nope", 1)


def test_duplicate_create_is_refused(catalog: Catalog) -> None:
    catalog.create(FG, "transactions", 1, {"a": 1})
    with pytest.raises(AlreadyExistsError):
        catalog.create(FG, "transactions", 1, {"a": 2})
    assert catalog.get(FG, "transactions", 1).body == {"a": 1}
    catalog.create(FG, "transactions", 2, {})  # another version,
    catalog.create(MODEL, "transactions", 1, {})  # or another kind, is fine


def test_list_by_kind_and_name_in_order(catalog: Catalog) -> None:
    for name, version in [("b", 2), ("a", 10), ("b", 1), ("a", 2), ("c", 1)]:
        catalog.create(FG, name, version, {"name": name})
    catalog.create(MODEL, "a", 1, {})
    listed = [(e.name, e.version) for e in catalog.list(FG)]
    assert listed == [("a", 2), ("a", 10), ("b", 1), ("b", 2), ("c", 1)]
    for name in ("ab", "a_c", "a1"):
        catalog.create("view", name, 1, {})
    # names sort by code point, as identifiers do, whatever the database's locale
    assert [e.name for e in catalog.list("view")] == ["a1", "a_c", "ab"]
    assert [(e.name, e.version) for e in catalog.list(FG, "b")] == [("b", 1), ("b", 2)]
    assert [e.body for e in catalog.list(FG, "c")] == [{"name": "c"}]
    assert catalog.list(FG, "nope") == []
    assert catalog.list("deployment") == []
    assert [(e.kind, e.name) for e in catalog.list(MODEL)] == [(MODEL, "a")]


def test_update_is_compare_and_set(catalog: Catalog) -> None:
    first = catalog.create(FG, "transactions", 1, {"online": False})
    second = catalog.update(first, {"online": True})
    assert (second.revision, second.body) == (2, {"online": True})
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    with pytest.raises(ConflictError) as caught:
        catalog.update(first, {"online": "stale"})  # revision 1 is no longer stored
    assert caught.value.retryable
    stored = catalog.get(FG, "transactions", 1)
    assert (stored.revision, stored.body) == (2, {"online": True})
    third = catalog.update(stored, {"online": False})
    assert catalog.get(FG, "transactions", 1).revision == third.revision == 3


def test_delete(catalog: Catalog) -> None:
    catalog.create(FG, "transactions", 1, {})
    catalog.create(FG, "transactions", 2, {})
    catalog.delete(FG, "transactions", 2)
    with pytest.raises(NotFoundError):
        catalog.get(FG, "transactions", 2)
    assert catalog.get(FG, "transactions").version == 1
    with pytest.raises(NotFoundError):
        catalog.delete(FG, "transactions", 2)
    catalog.create(FG, "transactions", 2, {"again": True})  # the version can be reused
    assert catalog.get(FG, "transactions", 2).revision == 1


def test_update_with_retry_applies_the_change(catalog: Catalog) -> None:
    catalog.create(FG, "transactions", 1, {"online_version": 0, "tags": {}})
    stale = catalog.get(FG, "transactions", 1)
    catalog.update(stale, {"online_version": 1, "tags": {}})  # a concurrent writer

    def bump(body: JsonBody) -> JsonBody:
        return {**body, "online_version": body["online_version"] + 1}

    entry = update_with_retry(catalog, FG, "transactions", 1, bump)
    assert (entry.revision, entry.body) == (3, {"online_version": 2, "tags": {}})
    assert catalog.get(FG, "transactions", 1).body["online_version"] == 2
    unchanged = update_with_retry(catalog, FG, "transactions", 1, lambda body: None)
    assert unchanged.revision == 3
    with pytest.raises(NotFoundError):
        update_with_retry(catalog, FG, "nope", 1, bump)


def test_update_with_retry_survives_a_race(catalog: Catalog) -> None:
    catalog.create(FG, "counter", 1, {"n": 0})
    raced = False

    def bump_after_a_rival(body: JsonBody) -> JsonBody:
        nonlocal raced
        if not raced:  # another writer commits between our read and our update
            raced = True
            rival = catalog.get(FG, "counter", 1)
            catalog.update(rival, {"n": rival.body["n"] + 10})
        return {"n": body["n"] + 1}

    entry = update_with_retry(catalog, FG, "counter", 1, bump_after_a_rival)
    assert entry.body == {"n": 11}
    assert catalog.get(FG, "counter", 1).revision == 3


def test_create_requiring_entries_checks_them_in_the_same_transaction(catalog: Catalog) -> None:
    model = catalog.create(MODEL, "scorer", 1, {"flavor": "python"})
    created = catalog.create("deployment", "fraud", 1, {"v": 1}, requires=[model])
    assert created.body == {"v": 1}
    # The required entry's revision grew: a change conditional on the old one now fails.
    assert catalog.get(MODEL, "scorer", 1).revision == model.revision + 1
    with pytest.raises(ConflictError):
        catalog.delete(MODEL, "scorer", 1, revision=model.revision)
    # A stale required entry refuses the create, and nothing is written.
    with pytest.raises(ConflictError):
        catalog.create("deployment", "fraud", 2, {"v": 2}, requires=[model])
    with pytest.raises(NotFoundError):
        catalog.get("deployment", "fraud", 2)
    # So does a required entry that was deleted.
    current = catalog.get(MODEL, "scorer", 1)
    catalog.delete(MODEL, "scorer", 1, revision=current.revision)
    with pytest.raises(ConflictError):
        catalog.create("deployment", "fraud", 2, {"v": 2}, requires=[current])
    assert [e.version for e in catalog.list("deployment", "fraud")] == [1]


def test_delete_at_a_revision(catalog: Catalog) -> None:
    entry = catalog.create(FG, "transactions", 1, {"n": 0})
    catalog.update(entry, {"n": 1})
    with pytest.raises(ConflictError):
        catalog.delete(FG, "transactions", 1, revision=entry.revision)
    assert catalog.get(FG, "transactions", 1).body == {"n": 1}
    catalog.delete(FG, "transactions", 1, revision=entry.revision + 1)
    with pytest.raises(NotFoundError):
        catalog.delete(FG, "transactions", 1, revision=entry.revision + 1)
