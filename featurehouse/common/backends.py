"""Choosing a backend by URI scheme: a plain dict of ``scheme -> "module:class"``, whose
modules (and drivers) load only when their scheme is used."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import Any

from featurehouse.errors import InvalidNameError


def open_backend(kind: str, uri: str, backends: Mapping[str, str], **options: Any) -> Any:
    """Instantiate the backend for ``uri``'s scheme (``sqlite:///...``, ``redis://...``),
    passing it ``options``."""
    scheme = uri.split(":", 1)[0].split("+", 1)[0]
    if scheme not in backends:
        close = difflib.get_close_matches(scheme, list(backends), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidNameError(
            f"unknown {kind} URI scheme {scheme!r}; expected one of {sorted(backends)}{hint}",
            obj=kind,
            expected=sorted(backends),
            received=scheme,
        )
    module, cls = backends[scheme].split(":")
    return getattr(importlib.import_module(module), cls)(uri, **options)
