"""Loading a repo: declarations from every file, sibling imports, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurehouse.errors import AlreadyExistsError, NotFoundError, SchemaError
from featurehouse.repo.loader import load_repo
from featurehouse.repo.plan import make_plan
from tests.repo.conftest import RepoDir

GROUP = """import featurehouse as fh
cards = fh.repo.FeatureGroup(name="cards", primary_key=["cc_num"], event_time="ts",
                             schema={{"cc_num": "int64", "ts": "timestamp", "x": {x_type!r}}})
"""


def write(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def test_files_import_each_other_and_lists_count(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "r",
        {
            "groups.py": GROUP.format(x_type="float64"),
            "views.py": "import featurehouse as fh\nfrom groups import cards\n"
            'views = [fh.repo.FeatureView(name=f"v{i}", query=cards.select(["x"])) for i in range(2)]\n',
            "_private.py": "raise RuntimeError('never loaded')\n",
        },
    )
    loaded = load_repo(repo)
    assert list(loaded.groups) == [("cards", 1)]
    assert sorted(loaded.views) == [("v0", 1), ("v1", 1)]
    # A second load sees edits at once (no stale bytecode or cached module).
    (repo / "groups.py").write_text(GROUP.format(x_type="int64"))
    assert load_repo(repo).groups[("cards", 1)].schema["x"] == "int64"


def test_two_different_declarations_of_one_group_name_both_files(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "r",
        {"a.py": GROUP.format(x_type="float64"), "b.py": GROUP.format(x_type="string")},
    )
    with pytest.raises(AlreadyExistsError, match=r"cards:1 is declared twice.*a\.py and b\.py"):
        load_repo(repo)


def test_bad_files_and_directories_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="is not a directory"):
        load_repo(tmp_path / "missing")
    with pytest.raises(NotFoundError, match="has no Python files"):
        load_repo(write(tmp_path / "empty", {"README.md": "hi"}))
    with pytest.raises(SchemaError, match=r"broken\.py failed to load: NameError"):
        load_repo(write(tmp_path / "broken", {"broken.py": "undefined_name\n"}))
    with pytest.raises(SchemaError, match="would shadow the module 'json'"):
        load_repo(write(tmp_path / "shadow", {"json.py": "x = 1\n"}))


def test_plan_names_unknown_types_and_groups(tmp_path: Path, repo: RepoDir) -> None:
    write(repo.path, {"features.py": GROUP.format(x_type="float128")})
    with pytest.raises(SchemaError) as err:
        repo.plan()
    assert (err.value.column, err.value.received) == ("x", "float128")
    view = 'import featurehouse as fh\nfrom featurehouse.core.query import Query, Selection\nv = fh.repo.FeatureView(name="v", query=Query(Selection("ghost", 3)))\n'
    write(repo.path, {"features.py": view})
    with pytest.raises(NotFoundError, match="reads feature group ghost:3, which is neither"):
        make_plan(repo.store, load_repo(repo.path))
