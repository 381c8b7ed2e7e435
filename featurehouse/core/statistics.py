"""Statistics kept in the catalog: per commit of a feature group (of the committed batch),
on demand (of the whole table), and per split of every training dataset. The project's
engine computes them (``Engine.statistics``; what they hold: ``featurehouse.engine.statistics``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pyarrow as pa

from featurehouse.engine.statistics import TableStatistics
from featurehouse.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.core.services import Services

COMMIT_STATISTICS = "commit_statistics"  # name "<group>:<version>", version = Delta version
TABLE_STATISTICS = "table_statistics"  # the same, of the whole table as of that version
SPLIT_STATISTICS = "split_statistics"  # name "<view>:<view version>:<dataset version>:<split>"
logger = logging.getLogger("featurehouse.statistics")


@contextlib.contextmanager
def recording_commit(
    services: Services, spec: FeatureGroupSpec, batch: pa.Table
) -> Iterator[Callable[[int], None]]:
    """Compute the statistics of the batch a commit writes (its feature columns and event
    time) in a thread while the block commits it; the block calls the function it is given
    with the committed version to keep them. The engine and the offline store release the
    GIL, so the two overlap. Does nothing when the settings turn commit statistics off.

    The commit has happened by then: a failure is logged, never raised, so that a caller
    cannot take a committed write for a failed one."""
    if not services.settings.commit_statistics:
        yield lambda version: None
        return
    columns = [c for c in batch.column_names if c not in spec.primary_key]
    # Leaving waits for the thread, also when the commit fails: nothing outlives the write.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="featurehouse-statistics") as pool:
        computing = pool.submit(services.engine.statistics, batch, columns)

        def keep(version: int) -> None:
            with _logged_failure(f"feature group {spec.label}: statistics of version {version}"):
                _keep(services, COMMIT_STATISTICS, spec.label, version, computing.result())

        yield keep


@contextlib.contextmanager
def _logged_failure(what: str) -> Iterator[None]:
    try:
        yield
    except Exception:  # statistics are a by-product of data already stored
        logger.warning("%s could not be kept", what, exc_info=True)


def _keep(services: Services, kind: str, name: str, version: int, stats: TableStatistics) -> None:
    # computed again for the same data (a retried call): the first record stands
    with contextlib.suppress(AlreadyExistsError):
        services.catalog.create(kind, name, version, stats.to_json())


def table_statistics(services: Services, spec: FeatureGroupSpec) -> TableStatistics:
    """Statistics of a feature group's whole table as of its latest version (kept, so that
    asking again for an unchanged table costs nothing)."""
    table = services.offline.open(spec.table_id)
    version = int(table.version())
    try:
        entry = services.catalog.get(TABLE_STATISTICS, spec.label, version)
        return TableStatistics.from_json(entry.body)
    except NotFoundError:
        pass
    dataset = services.offline.dataset(table)
    columns = [c for c in dataset.schema.names if c not in spec.primary_key]
    stats = services.engine.statistics(dataset, columns)
    _keep(services, TABLE_STATISTICS, spec.label, version, stats)
    return stats


def commit_statistics(
    services: Services, spec: FeatureGroupSpec, version: int | None = None
) -> TableStatistics:
    """The statistics kept for one commit (default: the latest commit that has them)."""
    entry = services.catalog.get(COMMIT_STATISTICS, spec.label, version)
    return TableStatistics.from_json(entry.body)


def split_name(view: str, view_version: int, version: int, split: str) -> str:
    return f"{view}:{view_version}:{version}:{split}"


def record_splits(
    services: Services, view: str, view_version: int, version: int, parts: dict[str, pa.Table]
) -> None:
    """Keep the statistics of every split of a new training dataset (stored already: a
    failure is logged, not raised)."""
    for split, part in parts.items():
        name = split_name(view, view_version, version, split)
        with _logged_failure(f"training dataset {name}: statistics"):
            _keep(services, SPLIT_STATISTICS, name, 1, services.engine.statistics(part))


def split_statistics(
    services: Services, view: str, view_version: int, version: int, split: str
) -> TableStatistics:
    entry = services.catalog.get(SPLIT_STATISTICS, split_name(view, view_version, version, split))
    return TableStatistics.from_json(entry.body)
