"""Redis specifics: the stored format's tag, and two writers racing on the same keys."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from featurehouse.online.base import open_online_store
from featurehouse.online.redis import RedisOnlineStore
from tests.online.test_contract import TABLE, amounts, at, rows

pytestmark = pytest.mark.redis


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisOnlineStore]:
    opened = open_online_store(redis_url)
    assert isinstance(opened, RedisOnlineStore)
    yield opened
    opened.close()


def _root(redis_url: str) -> str:
    """The root of TABLE's keys: the URI's prefix, then the table's name."""
    return redis_url.split("?prefix=", 1)[1] + TABLE.name + ":"


def test_a_table_of_the_older_json_format_reads_as_not_held(
    store: RedisOnlineStore, redis_url: str
) -> None:
    # what featurehouse wrote before the binary format: marker, counter and a JSON row
    root = _root(redis_url)
    old_row = "9223373873854775807" + "0" * 21 + "[1,1767225600000000,1.0]"
    client = store._client
    client.set(root + "generation", "0")
    client.set(root + "next-generation", "0")
    client.set(root + "0:[1]", old_row)
    assert not store.holds(TABLE)
    assert amounts(store, TABLE, [1]) == [None]
    store.replace_all(TABLE, rows(TABLE, (2, at(0), 2.0)))  # what the caller does
    assert store.holds(TABLE)
    assert amounts(store, TABLE, [1, 2]) == [None, 2.0]
    assert not client.exists(root + "generation", root + "next-generation", root + "0:[1]")


def test_drop_removes_the_keys_of_every_format(store: RedisOnlineStore, redis_url: str) -> None:
    root = _root(redis_url)
    store._client.set(root + "0:[1]", "older format")
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
    store.drop(TABLE)
    assert list(store._client.scan_iter(root + "*")) == []


def test_racing_writers_keep_the_latest_row_of_each_key(redis_url: str) -> None:
    # One writer sends rounds oldest first, the other newest first, at the same time; every
    # key must end with the newest round, whichever write reached Redis last.
    ids = list(range(1_500))
    rounds = 8
    stores = [open_online_store(redis_url), open_online_store(redis_url)]
    order = [range(rounds), reversed(range(rounds))]
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            for r in order[index]:
                second = 2 * r + index
                batch = rows(TABLE, *((i, at(second), float(second)) for i in ids))
                stores[index].write_latest(TABLE, batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        newest = float(2 * (rounds - 1) + 1)
        assert amounts(stores[0], TABLE, ids) == [newest] * len(ids)
    finally:
        for opened in stores:
            opened.close()
