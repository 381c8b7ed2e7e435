"""``sync_online(rebuild=True)`` swaps the online rows atomically and is resumable: readers
never miss a key while it runs, and a rebuild SIGKILLed at any point leaves the online
store readable (the old rows) and is finished by the next ``sync_online()``.

Each crash is a real SIGKILL of a child process (``tests/workers/rebuild.py``). Before
each rebuild the online store is damaged (keys lost, as an eviction loses them) so that
only a finished rebuild can give every key back.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import featurehouse as fh
from featurehouse.catalog.records import FEATURE_GROUP
from featurehouse.core.online_sync import REBUILDING
from tests.core.test_crash_safety import NAME, T0, assert_online_is_latest_offline, rows
from tests.workers import RebuildChild

KEYS = 50_000


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def online(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/online.db"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def project(tmp_path: Path, online: str) -> Iterator[tuple[Path, fh.FeatureStore, fh.FeatureGroup]]:
    """Online group ``tx``: KEYS ids at T0, every tenth corrected in a later commit."""
    home = tmp_path / "project"
    fs = fh.connect(home, online=online)
    fg = fs.create_feature_group(NAME, version=1, primary_key=["id"], event_time="ts", online=True)
    fg.insert(rows(range(KEYS), T0))
    fg.insert(rows(range(0, KEYS, 10), T0, 7.0))
    yield home, fs, fg
    fs.close()


def lose_keys(fs: fh.FeatureStore, fg: fh.FeatureGroup, keys: list[int]) -> None:
    """Remove these keys from the online store behind featurehouse's back."""
    fs._services.online.delete(fg._spec.online_table, [(k,) for k in keys])


def rebuild_marked(fs: fh.FeatureStore) -> bool:
    """Whether the catalog holds a rebuild that started and did not finish."""
    return bool(fs._services.catalog.get(FEATURE_GROUP, NAME, 1).body.get(REBUILDING))


def present(fg: fh.FeatureGroup) -> list[bool]:
    return [r is not None for r in fg.get_online([{"id": k} for k in range(KEYS)])]


def test_readers_never_miss_a_key_during_a_rebuild(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup], online: str
) -> None:
    home, _, fg = project
    stop = threading.Event()
    missing: list[int] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        with fh.connect(home, online=online) as other:
            reader = other.get_feature_group(NAME, 1)
            rng = random.Random(0)
            while not stop.is_set():
                keys = [rng.randrange(KEYS) for _ in range(100)]
                found = reader.get_online([{"id": k} for k in keys])
                missing.extend(k for k, row in zip(keys, found, strict=True) if row is None)
                reads += 1

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(3):
            assert fg.sync_online(rebuild=True) == KEYS
    finally:
        stop.set()
        thread.join()
    assert reads > 0
    assert not missing, f"{len(missing)} reads of existing keys found nothing, e.g. {missing[:5]}"
    assert_online_is_latest_offline(fg)


# (child mode, marker to wait for, kill delay range after it): deterministic kills before
# anything is built and between the switch and the catalog's record of it, then random
# kills while the rows are scanned and built aside.
KILL_PLAN: list[tuple[str, str | None, float, float]] = [
    ("--die-before-build", None, 0.0, 0.0),
    ("--die-after-switch", None, 0.0, 0.0),
    ("", "ready", 0.0, 0.0),  # most often before the catalog marks the rebuild
    ("", "ready", 0.0, 1.0),
    ("", "phase build", 0.0, 0.3),
    ("", "phase build", 0.2, 1.5),
]


def test_a_rebuild_killed_at_any_point_is_finished_by_the_next_sync(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup], online: str, tmp_path: Path
) -> None:
    home, fs, fg = project
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for attempt, (mode, marker, low, high) in enumerate(KILL_PLAN):
        lost = rng.sample(range(KEYS), 1_000)
        lose_keys(fs, fg, lost)
        child = RebuildChild(tmp_path, home, NAME, online, *([mode] if mode else []))
        delay = rng.uniform(low, high)
        if marker is not None and child.wait_for("ready") and child.wait_for(marker):
            time.sleep(delay)
            child.kill()
        code = child.wait()
        label = f"attempt {attempt} (seed {seed}, {mode or marker} +{delay:.2f}s, saw {child.seen})"
        assert code in (0, -signal.SIGKILL), f"{label}: child failed: {child.stderr()}"

        # Readable, and no key lost beyond the damage: the old rows or all the new ones.
        found = present(fg)
        kept = [k for k in range(KEYS) if not found[k]]
        assert set(kept) <= set(lost), f"{label}: keys vanished, e.g. {kept[:5]}"

        began = "phase build" in child.seen or rebuild_marked(fs)
        fg.sync_online()
        if not began:
            # Killed before the catalog marked a rebuild: there is none to finish, and keys
            # removed behind featurehouse's back stay missing until the next rebuild.
            now = present(fg)
            assert not any(now[k] for k in lost), label
            fg.sync_online(rebuild=True)
        assert all(present(fg)), label
        assert_online_is_latest_offline(fg)
        assert fg.sync_online() == 0, label  # finished: nothing left to do
