"""One JSON codec for catalog records: frozen dataclasses whose fields say how they are stored.

``encode(record)`` gives the entry body and ``decode(cls, body, entry=...)`` the record, both
driven by the fields' type hints: ``datetime`` (ISO 8601; a naive one read back is UTC),
``timedelta`` (seconds), ``Path`` (text), ``pa.Schema`` (``types.schema_to_json``), tuples and
lists (arrays), dicts, nested dataclasses, ``X | None``, and ``Any`` (stored as it is).
A field's metadata changes how it is kept:

- ``stored_as("ttl_seconds")``: the body key differs from the attribute;
- ``entry_attribute("version")``: not in the body but the entry's own name, version or time;
- ``NOT_STORED``: not in the body; given when decoding (``services=...``), else its default;
- ``converted(to_json, from_json)``: a type the codec does not know (an ``Expectation``).

Body keys no field reads (written by another version, or derived such as a report's
``success``) are ignored when decoding, so catalogs written before a field existed still load.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import pyarrow

from featurehouse.catalog.base import Entry, JsonBody
from featurehouse.errors import DataError
from featurehouse.types import schema_from_json, schema_to_json

R = TypeVar("R")

_KEY, _ENTRY, _GIVEN, _CONVERTED = "codec_key", "codec_entry", "codec_given", "codec_converted"
NOT_STORED: Mapping[str, Any] = {_GIVEN: True}


def stored_as(key: str) -> dict[str, Any]:
    """Field metadata: the body key of this field is ``key``."""
    return {_KEY: key}


def entry_attribute(attribute: str) -> dict[str, Any]:
    """Field metadata: the value is the entry's ``name``, ``version`` or ``created_at``."""
    return {_ENTRY: attribute}


def converted(to_json: Callable[[Any], Any], from_json: Callable[[Any], Any]) -> dict[str, Any]:
    """Field metadata: the field's value is stored by these two functions."""
    return {_CONVERTED: (to_json, from_json)}


class Record:
    """Base of catalog records: ``to_json`` and ``from_entry`` through the one codec.
    ``json_properties`` are properties also written to the body, for readers of raw JSON."""

    json_properties: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> JsonBody:
        return encode(self)

    @classmethod
    def from_entry(cls, entry: Entry, **given: Any) -> Self:
        return decode(cls, entry.body, entry=entry, **given)


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    key: str
    hint: Any  # the resolved type; None for fields not stored in the body
    entry: str | None  # the entry attribute it comes from
    given: bool
    converted: tuple[Callable[[Any], Any], Callable[[Any], Any]] | None
    field: dataclasses.Field[Any]


def encode(record: object) -> JsonBody:
    """The JSON body of a record (fields from the entry or not stored are left out)."""
    body = {
        f.key: _to_json(f, getattr(record, f.name))
        for f in _fields(type(record))
        if f.entry is None and not f.given
    }
    for name in getattr(record, "json_properties", ()):
        body[name] = getattr(record, name)
    return body


def decode(cls: type[R], body: Mapping[str, Any], *, entry: Entry | None = None, **given: Any) -> R:
    """The record of a body: entry fields from ``entry``, unstored ones from ``given``."""
    unknown = set(given) - {f.name for f in _fields(cls) if f.given}
    if unknown:
        raise TypeError(f"{cls.__name__} is given {sorted(unknown)}, which are not unstored fields")
    values: dict[str, Any] = {}
    for f in _fields(cls):
        if f.entry is not None:
            if entry is None:
                raise TypeError(f"decoding {cls.__name__} needs its entry (for {f.name})")
            values[f.name] = getattr(entry, f.entry)
        elif f.given:
            if f.name in given:
                values[f.name] = given[f.name]
        elif f.key in body:
            values[f.name] = _from_json(f, body[f.key])
        elif not _has_default(f.field):
            raise DataError(
                f"catalog record {cls.__name__}: the body has no {f.key!r}",
                obj=cls.__name__,
                column=f.key,
                expected=f.key,
                received=sorted(body),
            )
    return cls(**values)


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


_FIELDS: dict[type, tuple[_Field, ...]] = {}  # per record class, worked out once


def _fields(cls: type) -> tuple[_Field, ...]:
    if cls not in _FIELDS:
        _FIELDS[cls] = _plan(cls)
    return _FIELDS[cls]


def _plan(cls: type) -> tuple[_Field, ...]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass record")
    out = []
    for field in dataclasses.fields(cls):
        meta = field.metadata
        stored = _ENTRY not in meta and _GIVEN not in meta and _CONVERTED not in meta
        out.append(
            _Field(
                name=field.name,
                key=meta.get(_KEY, field.name),
                hint=_resolve(cls, field.type) if stored else None,
                entry=meta.get(_ENTRY),
                given=bool(meta.get(_GIVEN)),
                converted=meta.get(_CONVERTED),
                field=field,
            )
        )
    return tuple(out)


def _resolve(cls: type, hint: Any) -> Any:
    """A field's type from its annotation, as ``typing.get_type_hints`` does, one field at a
    time so that fields not stored may name types that are not importable here."""
    if not isinstance(hint, str):
        return hint
    module = sys.modules[cls.__module__]
    return eval(hint, vars(module))  # the class's own annotation


def _to_json(f: _Field, value: Any) -> Any:
    if f.converted is not None:
        return None if value is None else f.converted[0](value)
    return _value_to_json(f.hint, value)


def _from_json(f: _Field, value: Any) -> Any:
    if f.converted is not None:
        return None if value is None else f.converted[1](value)
    return _value_from_json(f.hint, value)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _value_to_json(hint: Any, value: Any) -> Any:
    if value is None or hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _is_union(hint):
        options = [a for a in args if a is not type(None)]
        return _value_to_json(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list):
        return [_value_to_json(_item_hint(args, i), v) for i, v in enumerate(value)]
    if origin is dict:
        return {k: _value_to_json(args[1], v) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return encode(value)
    if hint is float:
        return float(value)
    if hint is datetime:
        return value.isoformat()
    if hint is timedelta:
        return value.total_seconds()
    if hint is Path:
        return str(value)
    if hint is pyarrow.Schema:
        return schema_to_json(value)
    return value


def _value_from_json(hint: Any, value: Any) -> Any:
    if value is None or hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _is_union(hint):
        options = [a for a in args if a is not type(None)]
        return _value_from_json(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list):
        items = [_value_from_json(_item_hint(args, i), v) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        return {k: _value_from_json(args[1], v) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return decode(hint, value)  # type: ignore[arg-type]
    if hint is float:
        return float(value)
    if hint is int and not isinstance(value, bool):
        return int(value)
    if hint is datetime:
        found = datetime.fromisoformat(value)
        return found if found.tzinfo else found.replace(tzinfo=UTC)
    if hint is timedelta:
        return timedelta(seconds=value)
    if hint is Path:
        return Path(value)
    if hint is pyarrow.Schema:
        return schema_from_json(value)
    return value


def _item_hint(args: tuple[Any, ...], index: int) -> Any:
    """The hint of item ``index`` of ``tuple[X, ...]``, ``tuple[A, B]`` or ``list[X]``."""
    if not args:
        return Any
    if len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return args[index] if len(args) > 1 else args[0]
