"""A child process that runs one write and SIGKILLs itself at a chosen step between two
stores (for tests/core/test_crash_recovery.py).

    python -m tests.workers.crash <home> insert <group> <batch.parquet> [kill point]
    python -m tests.workers.crash <home> training_dataset <view> [kill point]

It prints ``ready`` just before the write and ``done`` after it. The kill points, in the
order a write reaches them:

- ``offline-commit``: as the Delta commit starts (a first insert has created the table);
- ``catalog-schema``: after the Delta commit, as the catalog records the first or grown
  schema (reached only by an insert that changes the schema);
- ``online-write``: after the catalog, as the online store is written;
- ``split-table-<n>``: as the n-th split table of a training dataset is written;
- ``split-statistics``: after the split tables, as their statistics are kept;
- ``catalog-dataset``: after those, as the catalog registers the training dataset.

Without a kill point the write runs unchanged (the test kills it at a random moment).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from featurehouse.catalog.records import FEATURE_GROUP
from featurehouse.core.statistics import SPLIT_STATISTICS
from featurehouse.core.training_dataset import TRAINING_DATASET

# The training-data range the tests use (their groups' rows lie inside it).
START, END = datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
SPLITS = {"train": 0.5, "validation": 0.25, "test": 0.25}


def say(message: str) -> None:
    print(message, flush=True)


def die(*_args: Any, **_kwargs: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_on_call(n: int, method: Callable[..., Any]) -> Callable[..., Any]:
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n:
            die()
        return method(*args, **kwargs)

    return wrapper


def die_on_kind(kind: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``catalog.create`` that dies instead of creating an entry of ``kind``."""

    def wrapper(entry_kind: str, *args: Any, **kwargs: Any) -> Any:
        if entry_kind == kind:
            die()
        return method(entry_kind, *args, **kwargs)

    return wrapper


def die_on_schema_change(method: Callable[..., Any]) -> Callable[..., Any]:
    """``catalog.update`` that dies instead of changing a feature group's schema."""

    def wrapper(entry: Any, body: Any) -> Any:
        if entry.kind == FEATURE_GROUP and body["schema"] != entry.body["schema"]:
            die()
        return method(entry, body)

    return wrapper


def arm(services: Any, point: str) -> None:
    """Make the process SIGKILL itself at ``point`` (see the module docstring)."""
    offline, online, catalog = services.offline, services.online, services.catalog
    if point == "offline-commit":
        offline.append = offline.upsert = die
    elif point == "catalog-schema":
        catalog.update = die_on_schema_change(catalog.update)
    elif point == "online-write":
        online.write_latest = online.overwrite = die
    elif point.startswith("split-table-"):
        offline.write_new = die_on_call(int(point.rsplit("-", 1)[1]), offline.write_new)
    elif point == "split-statistics":
        catalog.create = die_on_kind(SPLIT_STATISTICS, catalog.create)
    elif point == "catalog-dataset":
        catalog.create = die_on_kind(TRAINING_DATASET, catalog.create)
    elif point:
        raise ValueError(f"unknown kill point {point!r}")


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    import featurehouse as fh

    home, action, *rest = argv
    fs = fh.connect(home)
    services = fs._services
    if action == "insert":
        name, path, *point = rest
        group = fs.get_feature_group(name, 1)
        data = pq.read_table(path)
        arm(services, point[0] if point else "")
        say("ready")
        group.insert(data)
    else:
        name, *point = rest
        view = fs.get_feature_view(name, 1)
        arm(services, point[0] if point else "")
        say("ready")
        view.create_training_dataset(start=START, end=END, splits=SPLITS)
    say("done")
    fs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
