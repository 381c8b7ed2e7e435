"""Looking objects up by name with a "did you mean" for a mistyped one."""

from __future__ import annotations

import difflib

from featurehouse.catalog.base import Catalog, Entry
from featurehouse.errors import NotFoundError


def close_names(catalog: Catalog, kind: str, name: str) -> list[str]:
    """Names of existing objects of ``kind`` that look like ``name`` (case ignored), closest
    first; none when an object is called ``name``."""
    names = {e.name for e in catalog.list(kind)}
    if name in names:
        return []
    by_folded = {n.casefold(): n for n in sorted(names)}
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=3)
    return [by_folded[n] for n in close]


def did_you_mean(close: list[str]) -> str:
    """The end of a "not found" message: ``; did you mean 'a' or 'b'?``, or nothing."""
    return f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""


def get_entry(catalog: Catalog, kind: str, name: str, version: int | None = None) -> Entry:
    """``catalog.get``, whose NotFoundError for an unknown name suggests the closest names."""
    try:
        return catalog.get(kind, name, version)
    except NotFoundError as exc:
        close = close_names(catalog, kind, name)
        if not close:
            raise
        raise NotFoundError(
            exc.message + did_you_mean(close), obj=exc.obj, expected=close, received=name
        ) from exc
