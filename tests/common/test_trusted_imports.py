"""What a catalog may make featurehouse import and run.

A stored transform, on-demand feature or check is followed only into a trusted module
(featurehouse, the ``trusted_modules`` setting, or a module that declared user code in this
process) and only to an object of its kind. Definitions in ``__main__`` are refused when
they are created, and listing or showing views imports no user code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.catalog.base import JsonBody, update_with_retry
from featurehouse.config import Settings
from featurehouse.core.feature_view import FEATURE_VIEW
from featurehouse.errors import SchemaError
from featurehouse.transforms.builtin import standard_scaler
from featurehouse.validation import expect
from featurehouse.validation.suite import EXPECTATION_SUITE

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@fh.on_demand
def doubled(amount: float) -> float:
    return amount * 2


@fh.check
def positive(values: Any) -> Any:
    import pyarrow.compute as pc

    return pc.greater(values, 0)


def not_a_check(values: Any) -> bool:
    """A plain function in a trusted module: not declared with @fh.check."""
    raise AssertionError("must never be called")


def make_group(fs: fh.FeatureStore, **options: Any) -> fh.FeatureGroup:
    fg = fs.create_feature_group("tx", primary_key=["id"], event_time="ts", **options)
    fg.insert([{"id": n, "ts": T0 + timedelta(hours=n), "amount": float(n + 1)} for n in range(4)])
    return fg


def edit(fs: fh.FeatureStore, kind: str, name: str, change: Callable[[JsonBody], None]) -> None:
    """Rewrite a catalog entry behind featurehouse's back, as an attacker with catalog access."""

    def rewrite(body: JsonBody) -> JsonBody:
        body = json.loads(json.dumps(body))
        change(body)
        return body

    update_with_retry(fs._services.catalog, kind, name, 1, rewrite)


# -- point 17: the catalog cannot name arbitrary code -----------------------------------


def test_a_transform_entry_naming_os_system_is_refused_and_never_runs(
    fs: fh.FeatureStore, home: Path, tmp_path: Path
) -> None:
    fg = make_group(fs)
    fs.create_feature_view("v", query=fg.select_all(), transforms={"amount": standard_scaler()})
    marker = tmp_path / "pwned"
    attack = {"name": "x", "class": "os:system", "params": {"command": f"touch {marker}"}}
    edit(fs, FEATURE_VIEW, "v", lambda body: body["transforms"].update(amount=attack))
    with fh.connect(home) as other:
        view = other.get_feature_view("v")
        assert view.features == ["amount"]  # its shape reads without user code
        with pytest.raises(SchemaError, match=r"'os:system'.*not trusted") as info:
            view.training_data()
    assert info.value.obj == "feature view v:1 ('amount')"
    assert (
        info.value.received == "os:system" and info.value.expected == "a subclass of fh.Transform"
    )
    assert not marker.exists()


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("featurehouse.transforms.builtin:standard_scaler", "not a subclass of fh.Transform"),
        ("featurehouse.config:Settings", "not a subclass of fh.Transform"),
        ("subprocess:Popen", "not trusted"),
    ],
)
def test_a_transform_entry_must_name_a_transform_class_in_a_trusted_module(
    fs: fh.FeatureStore, home: Path, reference: str, reason: str
) -> None:
    fg = make_group(fs)
    fs.create_feature_view("v", query=fg.select_all(), transforms={"amount": standard_scaler()})
    edit(
        fs,
        FEATURE_VIEW,
        "v",
        lambda body: body["transforms"]["amount"].update({"class": reference, "params": {}}),
    )
    with fh.connect(home) as other, pytest.raises(SchemaError, match=reason) as info:
        other.get_feature_view("v").training_data()
    assert info.value.received == reference


def test_an_on_demand_entry_renamed_behind_the_views_back_is_refused(
    fs: fh.FeatureStore, home: Path
) -> None:
    fg = make_group(fs)
    fs.create_feature_view("v", query=fg.select_all(), on_demand=[doubled])
    edit(fs, FEATURE_VIEW, "v", lambda body: body["on_demand"][0].update(name="renamed"))
    with fh.connect(home) as other, pytest.raises(SchemaError, match="named 'doubled'"):
        other.get_feature_view("v").training_data()


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("builtins:eval", "not trusted"),
        ("featurehouse.transforms.builtin:standard_scaler", "not a function declared with"),
        ("featurehouse.config:os.system", "not a function declared with"),
        ("tests.common.test_trusted_imports:not_a_check", "not a function declared with"),
        ("featurehouse.config:__builtins__.eval", "not a module:name import path"),
        ("__main__:doubled", "__main__"),
        ("a b:c", "not a module:name import path"),
    ],
)
def test_an_on_demand_entry_must_name_a_declared_function_in_a_trusted_module(
    fs: fh.FeatureStore, home: Path, reference: str, reason: str
) -> None:
    fg = make_group(fs)
    fs.create_feature_view("v", query=fg.select_all(), on_demand=[doubled])
    edit(fs, FEATURE_VIEW, "v", lambda body: body["on_demand"][0].update(function=reference))
    with fh.connect(home) as other, pytest.raises(SchemaError, match=reason) as info:
        other.get_feature_view("v").training_data()
    assert info.value.obj == "feature view v:1" and info.value.received == reference


@pytest.mark.parametrize(
    "reference", ["tests.common.test_trusted_imports:not_a_check", "os:system", "shutil:rmtree"]
)
def test_a_check_entry_must_name_a_function_declared_with_fh_check(
    fs: fh.FeatureStore, home: Path, reference: str
) -> None:
    make_group(fs, expectations=[expect.check(positive, "amount")])

    def point_elsewhere(body: JsonBody) -> None:
        body["expectations"][0]["params"]["function"] = reference

    edit(fs, EXPECTATION_SUITE, "tx_v1", point_elsewhere)
    with fh.connect(home) as other:
        fg = other.get_feature_group("tx")
        with pytest.raises(SchemaError, match=reference) as info:
            fg.insert([{"id": 9, "ts": T0, "amount": 1.0}])
        assert fg.read().num_rows == 4  # a refused insert writes nothing
    assert info.value.obj == "feature group tx:1" and info.value.column == "positive"


def test_a_module_is_imported_only_once_trusted(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An untrusted module is never imported (its top-level code would run); listing it in
    trusted_modules (here through FEATUREHOUSE_TRUSTED_MODULES) lets it load."""
    module = f"fh_untrusted_{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "imported"
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(f"""
        import pathlib
        import featurehouse as fh

        pathlib.Path({str(marker)!r}).touch()  # what importing runs

        @fh.on_demand
        def tripled(amount: float) -> float:
            return amount * 3
        """)
    )
    with fh.connect(home) as fs:
        fg = make_group(fs)
        fs.create_feature_view("v", query=fg.select_all(), on_demand=[doubled])
        tripled = {"name": "tripled", "function": f"{module}:tripled"}
        edit(fs, FEATURE_VIEW, "v", lambda body: body["on_demand"][0].update(tripled))
    monkeypatch.syspath_prepend(str(tmp_path))
    with fh.connect(home) as fs, pytest.raises(SchemaError, match="trusted_modules"):
        fs.get_feature_view("v").training_data()
    assert not marker.exists() and module not in sys.modules
    monkeypatch.setenv("FEATUREHOUSE_TRUSTED_MODULES", f"some.other, {module}")
    with fh.connect(home) as fs:
        rows = fs.get_feature_view("v").training_data().to_pylist()
    assert marker.exists() and [r["tripled"] for r in rows] == [3.0, 6.0, 9.0, 12.0]


def test_a_fresh_process_trusts_only_featurehouse_and_its_settings(fs: fh.FeatureStore) -> None:
    """In a new process nothing has been declared yet: the tests' module must be trusted."""
    fg = make_group(fs)
    fs.create_feature_view("v", query=fg.select_all(), on_demand=[doubled])
    code = "import featurehouse as fh; print(fh.connect().get_feature_view('v').training_data().num_rows)"

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "FEATUREHOUSE_HOME": str(fs.settings.home), **env}
        environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=environ
        )

    refused = run()
    assert (
        refused.returncode != 0 and "'tests.common.test_trusted_imports:doubled'" in refused.stderr
    )
    assert "not trusted" in refused.stderr
    trusted = run(FEATUREHOUSE_TRUSTED_MODULES="tests")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == "4"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a.b, c", ("a.b", "c")), ("", ()), (["x_1.y"], ("x_1.y",))],
)
def test_trusted_modules_setting(home: Path, value: Any, expected: tuple[str, ...]) -> None:
    assert Settings.load(home, trusted_modules=value).trusted_modules == expected


@pytest.mark.parametrize("value", ["a b", "os;rm", ["1x"], [3], 7])
def test_trusted_modules_setting_refuses_what_is_not_a_module_name(home: Path, value: Any) -> None:
    with pytest.raises(SchemaError, match="trusted_modules") as info:
        Settings.load(home, trusted_modules=value)
    assert info.value.column == "trusted_modules"


def test_trusted_modules_from_featurehouse_toml(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "featurehouse.toml").write_text('[featurehouse]\ntrusted_modules = ["team.features"]\n')
    assert Settings.load(home).trusted_modules == ("team.features",)


# -- point 24: definitions in __main__ are refused when created ------------------------


def in_main(source: str) -> dict[str, Any]:
    """Run ``source`` as a notebook cell or script does: in module ``__main__``."""
    namespace: dict[str, Any] = {"__name__": "__main__", "fh": fh, "Any": Any}
    exec(textwrap.dedent(source), namespace)
    return namespace


def test_an_on_demand_feature_from_main_is_refused_at_creation(fs: fh.FeatureStore) -> None:
    cell = in_main("""
        @fh.on_demand
        def ratio(amount: float) -> float:
            return amount / 2
        """)
    fg = make_group(fs)
    with pytest.raises(SchemaError, match=r"__main__.*Move it to a module") as info:
        fs.create_feature_view("v", query=fg.select_all(), on_demand=[cell["ratio"]])
    assert info.value.received == "__main__:ratio"
    assert fs.list_feature_views() == []


def test_a_transform_from_main_is_refused_at_creation(fs: fh.FeatureStore) -> None:
    cell = in_main("""
        class Shift(fh.Transform):
            name = "shift"
            def apply(self, values: Any, stats: Any) -> Any:
                return [values + 1]
        """)
    fg = make_group(fs)
    with pytest.raises(SchemaError, match=r"__main__.*Move it to a module"):
        fs.create_feature_view("v", query=fg.select_all(), transforms={"amount": cell["Shift"]()})
    assert fs.list_feature_views() == []


def test_a_check_from_main_is_refused_at_creation() -> None:
    cell = in_main("""
        @fh.check
        def small(values: Any) -> bool:
            return True
        """)
    with pytest.raises(SchemaError, match=r"__main__.*Move it to a module"):
        expect.check(cell["small"], "amount")


# -- point 25: listing and showing import no user code ---------------------------------


def test_a_view_whose_module_is_gone_does_not_break_listing(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from featurehouse.cli.main import app

    module = f"fh_gone_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{module}.py"
    path.write_text(
        "import featurehouse as fh\n\n@fh.on_demand\n"
        "def halved(amount: float) -> float:\n    return amount / 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    features = __import__(module)
    with fh.connect(home) as fs:
        fg = make_group(fs)
        fs.create_feature_view("ok", query=fg.select_all())
        view = fs.create_feature_view("broken", query=fg.select_all(), on_demand=[features.halved])
        view.create_training_dataset()
    path.unlink()  # the module is gone (a renamed file, another machine)
    del sys.modules[module]

    with fh.connect(home) as fs:
        views = {v.name: v for v in fs.list_feature_views()}
        assert views["broken"].features == ["amount", "halved"]
        assert [d.version for d in views["broken"].list_training_datasets()] == [1]
        with pytest.raises(SchemaError, match=rf"'{module}:halved' cannot be imported"):
            views["broken"].training_data()
    runner = CliRunner()
    for command in (["fv", "list"], ["fv", "show", "broken"], ["td", "list"]):
        result = runner.invoke(app, [*command, "--project", str(home), "--json"])
        assert result.exit_code == 0, (command, result.output)
    shown = json.loads(
        runner.invoke(app, ["fv", "show", "broken", "-p", str(home), "--json"]).output
    )
    assert shown["features"] == ["amount", "halved"] and len(shown["training_datasets"]) == 1


def test_views_with_legitimate_user_code_keep_working(fs: fh.FeatureStore, home: Path) -> None:
    fg = make_group(fs, expectations=[expect.check(positive, "amount")])
    fs.create_feature_view(
        "v", query=fg.select_all(), on_demand=[doubled], transforms={"amount": standard_scaler()}
    )
    with fh.connect(home) as other:
        view = other.get_feature_view("v")
        dataset = view.create_training_dataset()
        assert dataset.read(transformed=True).num_rows == 4
        assert view.feature_types["doubled"] == pa.float64()
        assert view.features == list(view.feature_types)  # the outline agrees with the plan
        assert other.get_feature_group("tx").insert([{"id": 5, "ts": T0, "amount": 2.0}])
