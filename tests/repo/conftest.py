"""A repo directory the tests write declarations into, and helpers to plan and apply it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import featurehouse as fh
from featurehouse.repo.apply import Applied, apply_plan
from featurehouse.repo.loader import load_repo
from featurehouse.repo.plan import Plan, make_plan

HEADER = "from datetime import timedelta\n\nimport featurehouse as fh\n"

GROUPS = """
transactions = fh.repo.FeatureGroup(
    name="transactions", version={tx_version}, primary_key=["cc_num"], event_time="ts",
    schema={tx_schema}, online={tx_online}, description={tx_description!r}, tags={tx_tags!r},
    ttl={tx_ttl},
)
profiles = fh.repo.FeatureGroup(
    name="profiles", primary_key=["cc_num"], event_time="ts",
    schema={{"cc_num": "int64", "ts": "timestamp", "age": "int64"}}, online=True,
)
"""

VIEW = """
fraud = fh.repo.FeatureView(
    name="fraud", version={view_version}, query=transactions.select({view_features}).join(
        profiles.select_all(), on="cc_num"), labels=["is_fraud"], description={view_description!r},
)
"""

DEFAULTS = {
    "tx_version": 1,
    "tx_schema": {"cc_num": "int64", "ts": "timestamp", "amount": "float64", "category": "string"},
    "tx_online": False,
    "tx_description": "card transactions",
    "tx_tags": {"team": "fraud"},
    "tx_ttl": None,
    "view_version": 1,
    "view_features": ["amount", "category"],
    "view_description": "fraud inputs",
}


class RepoDir:
    """Writes the repo's files; each call replaces them."""

    def __init__(self, path: Path, store: fh.FeatureStore) -> None:
        self.path = path
        self.store = store
        path.mkdir()

    def write(self, *, view: bool = True, extra: str = "", **values: object) -> None:
        params = {**DEFAULTS, **values}
        text = HEADER + GROUPS.format(**params) + (VIEW.format(**params) if view else "")
        (self.path / "features.py").write_text(text + textwrap.dedent(extra))

    def plan(self) -> Plan:
        return make_plan(self.store, load_repo(self.path))

    def apply(self, prune: bool = False) -> Applied:
        return apply_plan(self.store, self.plan(), prune=prune)


@pytest.fixture
def repo(tmp_path: Path, fs: fh.FeatureStore) -> RepoDir:
    return RepoDir(tmp_path / "repo", fs)
