"""Tests that need an optional extra, skipped where it is not installed.

``make test`` installs the dev set, which holds every extra, so all of them run there;
``make test-core`` installs the core alone (``pip install .``), where they are left out and
the rest must pass on ``[project.dependencies]`` alone: a module missing from them fails
there, where the dev set would hide it.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

# What a test file or folder needs, by its path from the repository root: where the module
# is missing it is not collected (its modules import the extra at the top). A test inside
# other files asks with ``require_extra`` where it needs the extra.
NEEDS_EXTRA: dict[str, tuple[str, str]] = {
    "tests/monitoring": ("scipy", "monitoring"),
    "tests/serving": ("fastapi", "serve"),
    "tests/transforms/test_builtin.py": ("sklearn", "models"),
    "tests/transforms/test_edge_cases.py": ("sklearn", "models"),
    "tests/benchmarks/test_transform_benchmark_smoke.py": ("sklearn", "models"),
}


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require_extra(module: str, extra: str) -> ModuleType:
    """``module`` imported, or the test skipped: the extra that brings it is not installed."""
    reason = f'{module} is not installed: it comes with the extra "featurehouse[{extra}]"'
    return pytest.importorskip(module, reason=reason)
