"""A feature group: a versioned table of features about an entity, offline and online."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, overload

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core import quarantine, writer
from featurehouse.core.frames import Result
from featurehouse.core.ingest import prepare_batch
from featurehouse.core.online_sync import rebuild_online, sync_online
from featurehouse.core.query import Query, select, select_except
from featurehouse.core.recovery import reconcile_schema, recover_schema
from featurehouse.core.validation_gate import check_insert
from featurehouse.errors import DataError, NotFoundError, SchemaError
from featurehouse.offline.base import Commit
from featurehouse.online.base import Found, Key, Row, read_table
from featurehouse.online.keys import conform_keys
from featurehouse.types import as_utc
from featurehouse.validation.expectation import Expectation
from featurehouse.validation.report import ValidationReport, list_reports
from featurehouse.validation.suite import ExpectationSuite, current_suite, save_suite

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.engine.statistics import TableStatistics


class FeatureGroup:
    """Rows about an entity: all history offline (Delta Lake), the latest per key online.

    >>> fg = fs.create_feature_group("transactions", primary_key=["cc_num"], event_time="ts")
    >>> fg.insert(df).rows_inserted
    1000
    """

    def __init__(self, services: Services, spec: FeatureGroupSpec) -> None:
        self._services = services
        self._spec = spec

    # -- description ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def version(self) -> int:
        return self._spec.version

    @property
    def primary_key(self) -> list[str]:
        return list(self._spec.primary_key)

    @property
    def event_time(self) -> str:
        return self._spec.event_time

    @property
    def online(self) -> bool:
        return self._spec.online

    @property
    def description(self) -> str:
        return self._spec.description

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._spec.tags)

    @property
    def schema(self) -> pa.Schema | None:
        """The Arrow schema, or None before the first insert of a group created without one."""
        return self._spec.schema

    def __repr__(self) -> str:
        return f"FeatureGroup({self._spec.label}, primary_key={self.primary_key}, online={self.online})"

    def select(self, features: Sequence[str]) -> Query:
        """A query of these features, to join and to make a feature view of."""
        return select(self.name, self.version, features)

    def select_all(self) -> Query:
        """A query of every feature (the columns other than the key and event time)."""
        return select(self.name, self.version)

    def select_except(self, features: Sequence[str]) -> Query:
        """A query of every feature but ``features`` (spelled out now, in schema order)."""
        columns = None if self.schema is None else self.schema.names
        not_features = [*self.primary_key, self.event_time]
        return select_except(self.name, self.version, columns, not_features, features)

    def refresh(self) -> FeatureGroup:
        """Reload the definition from the catalog (another process may have grown the schema)."""
        entry = self._services.catalog.get(FEATURE_GROUP, self.name, self.version)
        self._spec = FeatureGroupSpec.from_entry(entry)
        return self

    # -- writing -------------------------------------------------------------------

    def insert(self, data: Any, *, on_invalid: str | None = None) -> writer.WriteResult:
        """Upsert rows on (primary key, event time): pandas, polars, Arrow or a list of dicts.

        A row with the key and event time of a stored row replaces it; within the batch
        the last duplicate wins. Naive timestamps are taken as UTC. New nullable columns
        grow the schema in place. Bad data raises before anything is written.

        The group's expectations are checked before the commit; ``on_invalid`` ("raise" or
        "quarantine") overrides the group's policy for this insert.
        """
        self.refresh()
        self._spec = recover_schema(self._services, self._spec)
        batch = prepare_batch(self._spec, data, self._services.engine)
        checked = check_insert(self._services, self._spec, batch, on_invalid)
        result = None
        if checked.batch is not None:
            self._spec, result = writer.insert(self._services, self._spec, checked.batch)
        return checked.finish(result)

    def delete(self, keys: Any = None, *, where: str | None = None) -> writer.WriteResult:
        """Delete all rows of ``keys`` (dicts or a DataFrame of key columns, optionally with
        the event-time column to delete single rows), or the rows matching ``where``."""
        self.refresh()
        if isinstance(keys, Mapping):
            keys = [keys]
        return writer.delete(self._services, self._spec, keys=keys, where=where)

    def sync_online(self, rebuild: bool = False) -> int:
        """Replay offline commits that are not yet in the online store; returns rows written.

        ``rebuild=True`` recomputes the whole online table from the offline store, built
        aside and switched in at once. Without it, a rebuild that died is finished, and
        an online store that lost the table (an emptied Redis) is rebuilt.
        """
        self.refresh()
        self._require_online()
        self._spec = recover_schema(self._services, self._spec)
        if self._spec.schema is None:
            return 0
        table = self._services.offline.open(self._spec.table_id)
        self._spec = reconcile_schema(self._services, self._spec, table)
        if rebuild:
            return rebuild_online(self._services, self._spec, table)
        return sync_online(self._services, self._spec, table)

    # -- validation ----------------------------------------------------------------

    @property
    def expectations(self) -> list[Expectation]:
        """The expectations every insert is checked against (the latest suite)."""
        suite = current_suite(self._services.catalog, self._spec)
        return [] if suite is None else suite.expectations

    def set_expectations(
        self, expectations: Sequence[Expectation], *, on_invalid: str | None = None
    ) -> ExpectationSuite:
        """Replace the expectations (a new suite version); ``on_invalid`` ("raise" or
        "quarantine") sets the group's policy, None keeps it."""
        self.refresh()
        return save_suite(self._services.catalog, self._spec, expectations, on_invalid)

    def validation_reports(self) -> list[ValidationReport]:
        """Every validation report of this group, oldest first."""
        return list_reports(self._services.catalog, self._spec)

    def read_quarantine(self, report: int | None = None, *, reasons: bool = True) -> Result:
        """Quarantined rows (of one report), with the expectations each failed and the
        report's number; ``reasons=False`` gives the group's columns only, ready to fix and
        insert again."""
        return Result(quarantine.read(self._services, self._spec, report, reasons))

    def clear_quarantine(self, report: int | None = None) -> int:
        """Delete quarantined rows (of one report, or all), e.g. once fixed and re-inserted."""
        return quarantine.clear(self._services, self._spec, report)

    # -- reading -------------------------------------------------------------------

    def read(
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        as_of: int | datetime | str | None = None,
        columns: Sequence[str] | None = None,
    ) -> Result:
        """Rows with ``start <= event time < end``, from the table as of a version or time."""
        spec = self._spec = recover_schema(self._services, self._spec)
        if spec.schema is None:
            raise NotFoundError(f"feature group {spec.label} has no data yet", obj=spec.label)
        table = self._services.offline.open(spec.table_id, _as_of(as_of))
        if as_of is None:  # the latest table: record a column the catalog missed
            self._spec = reconcile_schema(self._services, spec, table)
        available = table.schema().names
        unknown = [c for c in columns or [] if c not in available]
        if unknown:
            raise SchemaError(
                f"feature group {spec.label}: unknown column(s) {unknown}; available {list(available)}",
                obj=spec.label,
                column=unknown[0],
                expected=list(available),
                received=list(columns or []),
            )
        rows = self._services.engine.scan(
            self._services.offline.dataset(table),
            columns=columns,
            time_column=spec.event_time,
            start=as_utc(start),
            end=as_utc(end),
        )
        return Result(rows)

    @overload
    def get_online(self, keys: Mapping[str, Any]) -> Row | None: ...

    @overload
    def get_online(self, keys: Sequence[Mapping[str, Any]]) -> list[Row | None]: ...

    def get_online(
        self, keys: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> Row | list[Row | None] | None:
        """The latest row of a key (or of each key); None where the key has no row.

        A row older than the group's ``ttl`` counts as absent.
        """
        self._require_online()
        spec = self._spec
        if spec.schema is None:
            return None if isinstance(keys, Mapping) else [None] * len(keys)
        single = isinstance(keys, Mapping)
        key_list = [keys] if single else keys
        rows = read_online(self._services, spec, [self._key(k) for k in key_list])
        return rows[0] if single else rows

    def statistics(self, commit: int | None = None) -> TableStatistics:
        """Statistics of the whole table as it is now (computed by the engine, kept per offline
        version), or of the batch written by the commit of offline version ``commit``."""
        from featurehouse.core import statistics

        self._spec = recover_schema(self._services, self._spec)
        if self._spec.schema is None:
            raise NotFoundError(f"feature group {self._spec.label} has no data yet", obj=self.name)
        if commit is not None:
            return statistics.commit_statistics(self._services, self._spec, commit)
        return statistics.table_statistics(self._services, self._spec)

    def commits(self) -> list[Commit]:
        """The offline history, oldest first, with the rows each commit changed."""
        self._spec = recover_schema(self._services, self._spec)
        if self._spec.schema is None:
            return []
        table = self._services.offline.open(self._spec.table_id)
        return list(reversed(self._services.offline.history(table)))

    def _key(self, key: Any) -> tuple[Any, ...]:
        spec = self._spec
        if not isinstance(key, Mapping) or set(key) != set(spec.primary_key):
            received = sorted(key) if isinstance(key, Mapping) else type(key).__name__
            raise DataError(
                f"feature group {spec.label}: a key must be a dict with exactly the fields "
                f"{list(spec.primary_key)}, received {received}",
                obj=spec.label,
                expected=list(spec.primary_key),
                received=received,
            )
        return tuple(key[c] for c in spec.primary_key)

    def _require_online(self) -> None:
        if not self._spec.online:
            raise DataError(
                f"feature group {self._spec.label} is not online; create it with online=True",
                obj=self._spec.label,
                expected="online=True",
                received="online=False",
            )


def read_online(
    services: Services, spec: FeatureGroupSpec, keys: Sequence[Key]
) -> list[Row | None]:
    """The online rows of ``keys`` (tuples in primary-key order); rows older than the
    group's ``ttl`` count as absent. Key values are converted to the key columns' types
    first (DataError naming the column if one cannot be), so every store answers alike."""
    rows = services.online.read(spec.online_table, _conformed(spec, keys))
    if spec.ttl is not None:
        oldest = datetime.now(UTC) - spec.ttl
        rows = [r if r is not None and r[spec.event_time] >= oldest else None for r in rows]
    return rows


def read_online_table(
    services: Services,
    spec: FeatureGroupSpec,
    keys: Sequence[Key],
    columns: Sequence[str] | None = None,
) -> tuple[pa.Table, Found]:
    """``read_online`` as one Arrow table of ``columns`` (default: all) in key order, and
    whether each key was found (it has a row, within the ttl). Use the rows found only:
    the others hold nulls, or a row older than the ttl."""
    table = spec.online_table
    names = None if columns is None else list(columns)
    if names is not None and spec.ttl is not None and spec.event_time not in names:
        names.append(spec.event_time)  # the ttl needs it
    rows, found = read_table(services.online, table, _conformed(spec, keys), names)
    if spec.ttl is not None and rows.num_rows:
        oldest = pa.scalar(datetime.now(UTC) - spec.ttl, table.schema.field(spec.event_time).type)
        recent = pc.greater_equal(rows.column(spec.event_time), oldest).fill_null(False)
        found &= recent.to_numpy()
    if columns is not None and rows.num_columns > len(columns):
        rows = rows.select(list(columns))
    return rows, found


def _conformed(spec: FeatureGroupSpec, keys: Sequence[Key]) -> list[Key]:
    columns = [(c, spec.online_table.schema.field(c).type) for c in spec.primary_key]
    return conform_keys(spec.label, columns, keys)


def _as_of(value: int | datetime | str | None) -> int | datetime | None:
    if value is None or isinstance(value, int):
        return value
    return as_utc(value)
