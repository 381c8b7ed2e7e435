"""Settings: explicit arguments, then FEATUREHOUSE_* variables, then featurehouse.toml, then defaults.

This is the only module that reads ``os.environ``.

    [featurehouse]                      # in <home>/featurehouse.toml
    catalog = "postgresql://127.0.0.1:5432/featurehouse"
    online = "redis://127.0.0.1:6379/0"
    offline = "/data/featurehouse/offline"
    engine = "duckdb://"                # the query engine, chosen by URI scheme
    duckdb_memory_limit = "4GB"
    commit_statistics = false           # skip the statistics of every committed batch
    trusted_modules = ["myteam.features"]   # may be imported for a catalog's user code
    online_key_prefix = "fraud:"        # namespace of this project's rows in a shared Redis

``online_key_prefix`` (``FEATUREHOUSE_ONLINE_KEY_PREFIX``) starts every online key of the
project (after the Redis URI's own ``prefix``); by default it is the project's id, kept in
its catalog, so that projects sharing one Redis never share rows.

``serve_token`` (``FEATUREHOUSE_SERVE_TOKEN``) is the bearer token ``featurehouse serve`` asks
of every /v1 request; it is left out of the settings' repr so that it is never logged.

``trusted_modules`` (``FEATUREHOUSE_TRUSTED_MODULES``, comma-separated): modules and packages
whose transforms, on-demand features and checks a catalog entry may import (importing a
module runs its code; see ``featurehouse.common.imports``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from featurehouse.errors import SchemaError

DEFAULT_HOME = ".featurehouse"
ENV_PREFIX = "FEATUREHOUSE_"


@dataclass(frozen=True)
class Settings:
    """Where a project keeps its catalog, offline store and online store."""

    home: Path
    catalog: str
    offline: str
    online: str
    engine: str = "duckdb://"  # see featurehouse.engine.base.ENGINES
    duckdb_memory_limit: str | None = None
    commit_statistics: bool = True  # statistics of every committed batch, kept in the catalog
    online_key_prefix: str | None = None  # None: the project's id (see Services)
    serve_token: str | None = field(default=None, repr=False)
    trusted_modules: tuple[str, ...] = ()  # besides featurehouse: see featurehouse.common.imports

    @classmethod
    def load(cls, home: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
        """Resolve settings for a project directory (``$FEATUREHOUSE_HOME`` or ./.featurehouse)."""
        env = {
            k[len(ENV_PREFIX) :].lower(): v
            for k, v in os.environ.items()
            if k.startswith(ENV_PREFIX)
        }
        root = (
            Path(home if home is not None else env.get("home", DEFAULT_HOME))
            .expanduser()
            .absolute()
        )
        values: dict[str, object] = {
            "catalog": f"sqlite:///{root / 'catalog.db'}",
            "offline": str(root / "offline"),
            "online": f"sqlite:///{root / 'online.db'}",
        }
        values.update(_read_toml(root / "featurehouse.toml"))
        known = {f.name for f in fields(cls)} - {"home"}
        values.update({k: v for k, v in env.items() if k in known})
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - known
        if unknown:
            raise SchemaError(
                f"unknown setting(s) {sorted(unknown)}; expected some of {sorted(known)}",
                obj="settings",
                expected=sorted(known),
                received=sorted(unknown),
            )
        if "commit_statistics" in values:
            values["commit_statistics"] = _flag("commit_statistics", values["commit_statistics"])
        if "trusted_modules" in values:
            values["trusted_modules"] = _module_names(values["trusted_modules"])
        return cls(home=root, **values)  # type: ignore[arg-type]


FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _flag(name: str, value: object) -> bool:
    """A yes/no setting: a TOML boolean, or a word as an environment variable gives it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in FLAGS:
        return FLAGS[value.lower()]
    raise SchemaError(
        f"setting {name}: expected true or false, received {value!r}",
        obj="settings",
        column=name,
        expected="true or false",
        received=value,
    )


_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _module_names(value: object) -> tuple[str, ...]:
    """Module names: a TOML list, or a comma-separated string as an environment variable."""
    names = [n.strip() for n in value.split(",") if n.strip()] if isinstance(value, str) else value
    if isinstance(names, list | tuple) and all(
        isinstance(n, str) and _MODULE.fullmatch(n) for n in names
    ):
        return tuple(str(n) for n in names)
    raise SchemaError(
        f"setting trusted_modules: expected module names (a list, or comma-separated), "
        f"received {value!r}",
        obj="settings",
        column="trusted_modules",
        expected="module names such as ['myteam.features']",
        received=value,
    )


def _read_toml(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    section = data.get("featurehouse", {})
    if not isinstance(section, dict):
        raise SchemaError(f"{path}: [featurehouse] must be a table", obj=str(path))
    return dict(section)
