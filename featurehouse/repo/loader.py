"""Loading a feature repo: run its Python files and collect their declarations.

Each top-level ``*.py`` file (not starting with ``_``) becomes a module named after the
file, so that on-demand functions and transforms declared in it are stored by a stable
import path (``features:amount_ratio``); a process that serves them needs the repo
directory on ``PYTHONPATH``. Files are read fresh on every load (no bytecode cache), so
a plan always sees what the files say now.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from featurehouse.errors import (
    AlreadyExistsError,
    FeaturehouseError,
    NotFoundError,
    SchemaError,
)
from featurehouse.repo.declarations import Declaration, Deployment, FeatureGroup, FeatureView

MARKER = "__featurehouse_repo__"  # set on the modules a repo load made


@dataclass(frozen=True)
class Repo:
    """The declarations of a repo directory, each with the file it came from."""

    path: Path
    groups: dict[tuple[str, int], FeatureGroup]
    views: dict[tuple[str, int], FeatureView]
    deployments: dict[str, Deployment]


def load_repo(path: str | Path) -> Repo:
    """Run the repo's files and collect its declarations; two different declarations of
    one object are an error naming both files."""
    root = Path(path).absolute()
    if not root.is_dir():
        raise NotFoundError(f"feature repo {str(root)!r} is not a directory", obj=str(root))
    files = sorted(p for p in root.glob("*.py") if not p.name.startswith("_"))
    if not files:
        raise NotFoundError(
            f"feature repo {str(root)!r} has no Python files; create one with `featurehouse init`",
            obj=str(root),
        )
    found: dict[tuple[str, object], tuple[Declaration, Path]] = {}
    for file, module in _modules(root, files):
        for declaration in _declarations(module):
            key = (type(declaration).__name__, _identity(declaration))
            seen = found.get(key)
            if seen is not None and seen[0] is not declaration and seen[0] != declaration:
                raise AlreadyExistsError(
                    f"feature repo: {_kind(declaration)} {declaration.label} is declared twice, "
                    f"differently, in {seen[1].name} and {file.name}",
                    obj=declaration.label,
                )
            found.setdefault(key, (declaration, file))
    values = [d for d, _ in found.values()]
    return Repo(
        path=root,
        groups={(d.name, d.version): d for d in values if isinstance(d, FeatureGroup)},
        views={(d.name, d.version): d for d in values if isinstance(d, FeatureView)},
        deployments={d.name: d for d in values if isinstance(d, Deployment)},
    )


def _modules(root: Path, files: list[Path]) -> Iterator[tuple[Path, types.ModuleType]]:
    # Forget what earlier loads of repos left under these names, so imports see fresh files.
    for file in files:
        earlier = sys.modules.get(file.stem)
        if earlier is not None and (hasattr(earlier, MARKER) or _file_of(earlier) == file):
            del sys.modules[file.stem]
    sys.path.insert(0, str(root))
    try:
        for file in files:
            name = file.stem
            loaded = sys.modules.get(name)
            if loaded is not None and _file_of(loaded) != file:
                raise SchemaError(
                    f"feature repo: file {file.name} would shadow the module {name!r} "
                    f"({_file_of(loaded) or 'built in'}); rename it",
                    obj=str(file),
                    received=name,
                )
            if loaded is None:  # not imported already by a sibling file
                loaded = types.ModuleType(name)
                loaded.__file__ = str(file)
                sys.modules[name] = loaded
                try:
                    exec(compile(file.read_text(), str(file), "exec"), loaded.__dict__)
                except Exception as exc:
                    del sys.modules[name]
                    if isinstance(exc, FeaturehouseError):
                        raise
                    raise SchemaError(
                        f"feature repo: {file.name} failed to load: {type(exc).__name__}: {exc}",
                        obj=str(file),
                    ) from exc
            setattr(loaded, MARKER, True)
            yield file, loaded
    finally:
        sys.path.remove(str(root))


def _file_of(module: types.ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).absolute() if file else None


def _declarations(module: types.ModuleType) -> Iterator[Declaration]:
    kinds = (FeatureGroup, FeatureView, Deployment)
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, kinds):
            yield value
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, kinds))


def _identity(declaration: Declaration) -> object:
    if isinstance(declaration, Deployment):
        return declaration.name
    return (declaration.name, declaration.version)


def _kind(declaration: Declaration) -> str:
    return {FeatureGroup: "feature group", FeatureView: "feature view"}.get(
        type(declaration), "deployment"
    )
