"""Feature selections joined on keys: what a feature view reads.

>>> q = (transactions.select(["amount", "category"])
...        .join(profiles.select(["age"]), on="cc_num")
...        .join(merchants.select_all(), left_on="merchant_id", right_on="id", prefix="m_"))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from featurehouse.errors import SchemaError


@dataclass(frozen=True)
class Selection:
    """Features of one feature group version; None means every feature (chosen when the
    view is created). ``prefix`` is put before every output name."""

    group: str
    version: int
    features: tuple[str, ...] | None = None
    prefix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "version": self.version,
            "features": None if self.features is None else list(self.features),
            "prefix": self.prefix,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        features = data["features"]
        return cls(
            data["group"],
            data["version"],
            None if features is None else tuple(features),
            data["prefix"],
        )


@dataclass(frozen=True)
class Join:
    """A selection joined on its group's primary key (``right_on``) from columns of the
    query on its left (``left_on``): spine keys or features of groups joined before."""

    selection: Selection
    left_on: tuple[str, ...]
    right_on: tuple[str, ...] | None  # None: the right group's primary key

    def to_json(self) -> dict[str, Any]:
        return {
            **self.selection.to_json(),
            "left_on": list(self.left_on),
            "right_on": None if self.right_on is None else list(self.right_on),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Join:
        right = data["right_on"]
        return cls(
            Selection.from_json(data),
            tuple(data["left_on"]),
            None if right is None else tuple(right),
        )


@dataclass(frozen=True)
class Query:
    root: Selection
    joins: tuple[Join, ...] = ()

    def join(
        self,
        other: Query,
        on: str | Sequence[str] | None = None,
        *,
        left_on: str | Sequence[str] | None = None,
        right_on: str | Sequence[str] | None = None,
        prefix: str | None = None,
    ) -> Query:
        """Join ``other`` (one feature group's selection) on its primary key.

        ``on`` names columns that both sides call the same; otherwise ``left_on`` names the
        left columns and ``right_on`` the right group's key columns (in the same order).
        """
        if other.joins:
            raise SchemaError(
                f"join: the right side must be one feature group's selection, received a "
                f"query of {len(other.joins) + 1} groups; join them one by one",
                obj=other.root.group,
            )
        if on is not None and (left_on is not None or right_on is not None):
            raise SchemaError(
                "join: give on= or left_on=/right_on=, not both", obj=other.root.group
            )
        right: tuple[str, ...] | None
        if on is not None:
            left = right = _names(on)
        elif left_on is not None:
            left, right = _names(left_on), (None if right_on is None else _names(right_on))
        else:
            raise SchemaError(
                f"join with {other.root.group!r}: say which columns to join on (on= or left_on=)",
                obj=other.root.group,
            )
        selection = other.root if prefix is None else replace(other.root, prefix=prefix)
        return Query(self.root, (*self.joins, Join(selection, left, right)))

    @property
    def selections(self) -> list[Selection]:
        return [self.root, *(j.selection for j in self.joins)]

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root.to_json(), "joins": [j.to_json() for j in self.joins]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Query:
        return cls(
            Selection.from_json(data["root"]), tuple(Join.from_json(j) for j in data["joins"])
        )


def select(group: str, version: int, features: Sequence[str] | None = None) -> Query:
    """A query of ``features`` of one feature group version (every feature when None)."""
    if isinstance(features, str):
        features = [features]
    return Query(Selection(group, version, None if features is None else tuple(features)))


def select_except(
    group: str,
    version: int,
    columns: Sequence[str] | None,
    not_features: Sequence[str],
    excluded: str | Sequence[str],
) -> Query:
    """A query of every feature of a group version (its ``columns`` but the key and event
    time, ``not_features``) except ``excluded``. Naming the key or event time there is allowed
    (they are never features); naming a column the group does not have is an error."""
    label = f"{group}:{version}"
    if columns is None:
        raise SchemaError(
            f"feature group {label} has no schema yet (insert data or declare schema=), so "
            "there is nothing to select from",
            obj=label,
        )
    excluded = _names(excluded)
    unknown = [name for name in excluded if name not in columns]
    if unknown:
        raise SchemaError(
            f"feature group {label}: select_except names column(s) {unknown} it does not "
            f"have; its features are {[c for c in columns if c not in not_features]}",
            obj=label,
            column=unknown[0],
            expected=list(columns),
            received=unknown,
        )
    kept = [c for c in columns if c not in not_features and c not in excluded]
    return select(group, version, kept)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
