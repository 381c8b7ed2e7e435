"""Resolving a feature view's query against its feature groups, once, before any work:
which columns come from where, under which names, and joined on what.

Every check that can fail on a definition happens here, so that a bad view is refused
with a clear error before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.types as pt

from featurehouse.catalog.records import FeatureGroupSpec
from featurehouse.core.query import Query, Selection
from featurehouse.errors import SchemaError
from featurehouse.transforms.base import Transform
from featurehouse.transforms.on_demand import OnDemandFeature

HIDDEN = "_fh_join_"


@dataclass(frozen=True)
class SourcePlan:
    """One feature group as the view reads it."""

    group: FeatureGroupSpec
    left_on: tuple[str, ...]  # names on the left (spine keys or earlier outputs)
    columns: tuple[tuple[str, str], ...]  # (group column, output name): features + hidden

    @property
    def outputs(self) -> list[str]:
        return [out for _, out in self.columns]


@dataclass(frozen=True)
class ViewPlan:
    keys: tuple[str, ...]  # the entity (spine) key columns: the root group's primary key
    event_time: str  # the spine's event-time column: the root group's
    features: tuple[str, ...]  # output names, in the view's order
    labels: tuple[str, ...]
    label_features: tuple[str, ...]  # labels that are features of the view (not from a spine)
    sources: tuple[SourcePlan, ...]  # the root group first
    types: Mapping[str, pa.DataType]  # of keys, event time, features and hidden columns
    on_demand: tuple[OnDemandFeature, ...] = ()  # computed after the joins, in this order
    request: Mapping[str, Any] = field(default_factory=dict)  # request parameter -> annotation
    transforms: Mapping[str, Transform] = field(default_factory=dict)  # feature -> transform

    @property
    def root(self) -> FeatureGroupSpec:
        return self.sources[0].group

    @property
    def hidden(self) -> list[str]:
        return [o for s in self.sources for o in s.outputs if o.startswith(HIDDEN)]

    @property
    def columns(self) -> list[str]:
        """The view's output columns: keys, event time, features, labels."""
        return [*self.keys, self.event_time, *self.features, *self.labels]


def plan_view(
    name: str,
    query: Query,
    groups: Mapping[tuple[str, int], FeatureGroupSpec],
    labels: Sequence[str] = (),
    on_demand: Sequence[OnDemandFeature] = (),
    transforms: Mapping[str, Transform] | None = None,
) -> ViewPlan:
    """Check ``query`` against the groups and say how to read it; SchemaError if it cannot be."""
    obj = f"feature view {name!r}"
    root = groups[(query.root.group, query.root.version)]
    _require_schema(obj, root)
    keys, event_time = root.primary_key, root.event_time
    types: dict[str, pa.DataType] = {}
    assert root.schema is not None
    for column in [*keys, event_time]:
        types[column] = root.schema.field(column).type
    owner: dict[str, str] = {c: f"{root.label} (key)" for c in [*keys, event_time]}
    # raw column name -> (output name, group label) of every column read so far
    available: dict[str, list[tuple[str, str]]] = {c: [(c, root.label)] for c in keys}
    sources: list[SourcePlan] = []
    features: list[str] = []
    steps = [(query.root, keys, None)] + [(j.selection, j.left_on, j.right_on) for j in query.joins]
    hidden_needed = _hidden_columns(query, groups)
    for index, (selection, left_on, right_on) in enumerate(steps):
        group = groups[(selection.group, selection.version)]
        _require_schema(obj, group)
        assert group.schema is not None
        if index:
            left_on = _resolve_left(obj, group, left_on, right_on, available, types)
        chosen = _features(obj, group, selection)
        columns: list[tuple[str, str]] = []
        for column in chosen:
            out = selection.prefix + column
            if out in owner:
                raise SchemaError(
                    f"{obj}: feature {out!r} of {group.label} collides with {out!r} of "
                    f"{owner[out]}; select it with a prefix (join(..., prefix=...)) or leave it out",
                    obj=name,
                    column=out,
                    expected="unique output names",
                    received=[owner[out], group.label],
                )
            owner[out] = group.label
            columns.append((column, out))
            features.append(out)
            types[out] = group.schema.field(column).type
            available.setdefault(column, []).append((out, group.label))
            if out != column:
                available.setdefault(out, []).append((out, group.label))
        for column in hidden_needed.get((selection.group, selection.version), []):
            if column not in chosen:
                out = f"{HIDDEN}{index}_{column}"
                columns.append((column, out))
                types[out] = group.schema.field(column).type
                available.setdefault(column, []).append((out, group.label))
        sources.append(SourcePlan(group, tuple(left_on), tuple(columns)))
    label_features = tuple(label for label in labels if label in features)
    request = _plan_on_demand(obj, on_demand, features, owner, types)
    transforms = dict(transforms or {})
    unknown = [f for f in transforms if f not in features or f in label_features]
    if unknown:
        raise SchemaError(
            f"{obj}: transforms name(s) {unknown} that are not features of the view; its "
            f"features are {[f for f in features if f not in label_features]}",
            obj=name,
            column=unknown[0],
            expected=features,
            received=list(transforms),
        )
    return ViewPlan(
        keys=tuple(keys),
        event_time=event_time,
        features=tuple(f for f in features if f not in label_features),
        labels=tuple(labels),
        label_features=label_features,
        sources=tuple(sources),
        types=types,
        on_demand=tuple(on_demand),
        request=request,
        transforms=transforms,
    )


def _plan_on_demand(
    obj: str,
    on_demand: Sequence[OnDemandFeature],
    features: list[str],
    owner: dict[str, str],
    types: dict[str, pa.DataType],
) -> dict[str, Any]:
    """Add on-demand outputs to ``features``; return the request parameters they need."""
    request: dict[str, Any] = {}
    for feature in on_demand:
        for name, annotation in feature.inputs:
            if name in features:
                continue
            if name in owner:  # a key or the event time: allowed as an input, from the spine
                continue
            if name in request and request[name] is not annotation:
                raise SchemaError(
                    f"{obj}: request parameter {name!r} is declared with two types",
                    obj=feature.name,
                    column=name,
                )
            request[name] = annotation
        if feature.name in owner or feature.name in request:
            raise SchemaError(
                f"{obj}: on-demand feature {feature.name!r} collides with a column of "
                f"{owner.get(feature.name, 'the request')}",
                obj=feature.name,
                column=feature.name,
            )
        owner[feature.name] = "on-demand"
        features.append(feature.name)
        types[feature.name] = feature.arrow_type()
    return request


def pinned_query(query: Query, plan: ViewPlan) -> Query:
    """``query`` with every selection's features spelled out, so that a group that grows
    later does not change the view."""
    from dataclasses import replace

    chosen = [
        tuple(c for c, out in source.columns if not out.startswith(HIDDEN))
        for source in plan.sources
    ]
    root = replace(query.root, features=chosen[0])
    joins = tuple(
        replace(join, selection=replace(join.selection, features=features))
        for join, features in zip(query.joins, chosen[1:], strict=True)
    )
    return Query(root, joins)


def groups_of(query: Query) -> list[tuple[str, int]]:
    return [(s.group, s.version) for s in query.selections]


def _require_schema(obj: str, group: FeatureGroupSpec) -> None:
    if group.schema is None:
        raise SchemaError(
            f"{obj}: feature group {group.label} has no schema yet; insert data or declare one",
            obj=group.label,
        )


def _features(obj: str, group: FeatureGroupSpec, selection: Selection) -> list[str]:
    assert group.schema is not None
    own = [c for c in group.schema.names if c not in (*group.primary_key, group.event_time)]
    if selection.features is None:
        return own
    unknown = [f for f in selection.features if f not in own]
    if unknown:
        raise SchemaError(
            f"{obj}: feature group {group.label} has no feature(s) {unknown}; it has {own}",
            obj=group.label,
            column=unknown[0],
            expected=own,
            received=list(selection.features),
        )
    return list(selection.features)


def _hidden_columns(
    query: Query, groups: Mapping[tuple[str, int], FeatureGroupSpec]
) -> dict[tuple[str, int], list[str]]:
    """Columns later joins need from earlier groups, whether selected or not."""
    needed: dict[tuple[str, int], list[str]] = {}
    earlier = [query.root]
    for join in query.joins:
        for column in join.left_on:
            for selection in reversed(earlier):
                group = groups[(selection.group, selection.version)]
                assert group.schema is not None
                if column in group.schema.names and column not in (
                    *group.primary_key,
                    group.event_time,
                ):
                    needed.setdefault((selection.group, selection.version), []).append(column)
                    break
        earlier.append(join.selection)
    return needed


def _resolve_left(
    obj: str,
    group: FeatureGroupSpec,
    left_on: Sequence[str],
    right_on: Sequence[str] | None,
    available: Mapping[str, list[tuple[str, str]]],
    types: Mapping[str, pa.DataType],
) -> tuple[str, ...]:
    assert group.schema is not None
    right = tuple(right_on) if right_on is not None else group.primary_key
    if set(right) != set(group.primary_key) or len(right) != len(left_on):
        raise SchemaError(
            f"{obj}: a join with {group.label} must be on its primary key "
            f"{list(group.primary_key)}: received left_on={list(left_on)}, right_on={list(right)}",
            obj=group.label,
            expected=list(group.primary_key),
            received=list(right),
        )
    order = {column: left for left, column in zip(left_on, right, strict=True)}
    resolved = []
    for key in group.primary_key:
        name = order[key]
        found = available.get(name)
        if not found:
            raise SchemaError(
                f"{obj}: join with {group.label}: left column {name!r} is neither a key of the "
                "root group nor a column of a group joined before",
                obj=group.label,
                column=name,
                expected=sorted(available),
                received=name,
            )
        out = found[-1][0]
        left_type, right_type = types[out], group.schema.field(key).type
        if left_type != right_type and not (pt.is_integer(left_type) and pt.is_integer(right_type)):
            raise SchemaError(
                f"{obj}: join with {group.label}: {name!r} ({left_type}) does not match the type "
                f"of key {key!r} ({right_type})",
                obj=group.label,
                column=name,
                expected=str(right_type),
                received=str(left_type),
            )
        resolved.append(out)
    return tuple(resolved)
