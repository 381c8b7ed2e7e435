"""Deployments, predictions through them, prediction logs, outcomes and batch inference."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import ConflictError, DataError, NotFoundError
from featurehouse.models.registry import DEPLOYMENT, MODEL
from featurehouse.serving.prediction_log import PredictionLog
from featurehouse.serving.predictor import Predictor, limit_threads
from featurehouse.transforms.builtin import standard_scaler

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def total(rows: list[dict[str, Any]]) -> list[float]:
    """A Python-function model: the sum of a row's features."""
    return [float(sum(v for v in row.values() if isinstance(v, int | float))) for row in rows]


def negative(rows: list[dict[str, Any]]) -> list[float]:
    return [-x for x in total(rows)]


@pytest.fixture
def setup(fs: fh.FeatureStore) -> dict[str, Any]:
    group = fs.create_feature_group("cards", primary_key=["cc_num"], event_time="ts", online=True)
    rng = np.random.default_rng(3)
    group.insert(
        pa.table(
            {
                "cc_num": np.arange(100),
                "ts": pa.array([T0] * 100, pa.timestamp("us", tz="UTC")),
                "limit": rng.uniform(100, 1_000, 100),
                "age": rng.integers(18, 80, 100),
            }
        )
    )
    view = fs.create_feature_view(
        "card_view", query=group.select_all(), transforms={"limit": standard_scaler()}
    )
    td = view.create_training_dataset(start=T0, end=T0 + timedelta(days=1))
    one = fs.models.register("scorer", total, feature_view=view, training_dataset=td)
    two = fs.models.register("scorer", negative, feature_view=view, training_dataset=td)
    return {"view": view, "td": td, "one": one, "two": two}


def test_deploy_split_and_rollback(fs: fh.FeatureStore, setup: dict[str, Any]) -> None:
    first = fs.deploy("fraud", model="scorer", version=1)
    assert (first.revision, [(s.model, s.version) for s in first.models]) == (1, [("scorer", 1)])
    assert first.feature_view == ("card_view", 1) and first.changed_by
    ab = fs.deploy("fraud", split={1: 0.5, 2: 0.5})
    keys = [(k,) for k in range(2_000)]
    counts = Counter(ab.choose(k).version for k in keys)
    assert 850 < counts[1] < 1_150  # about half each
    assert all(ab.choose(k) == ab.choose(k) for k in keys[:50])  # sticky per entity
    back = fs.rollback("fraud")
    assert back.revision == 3 and [s.version for s in back.models] == [1]
    assert "rollback" in back.note
    assert [d.revision for d in fs.deployments.history("fraud")] == [1, 2, 3]
    with pytest.raises(ConflictError):
        fs.models.delete("scorer", 1)  # served


def test_bad_deployments(fs: fh.FeatureStore, setup: dict[str, Any]) -> None:
    with pytest.raises(DataError, match="add up to 1"):
        fs.deploy("fraud", model="scorer", split={1: 0.5, 2: 0.2})
    with pytest.raises(DataError, match="model="):
        fs.deploy("fraud", version=1)
    fs.models.register("loose", total)
    with pytest.raises(DataError, match="feature view"):
        fs.deploy("fraud", model="loose")
    with pytest.raises(ConflictError, match="earlier revision"):
        fs.deploy("other", model="scorer")
        fs.rollback("other")


def test_predictions_use_each_models_statistics_and_are_logged(
    fs: fh.FeatureStore, setup: dict[str, Any]
) -> None:
    fs.deploy("fraud", model="scorer", version=1)
    predictor = Predictor(fs)
    results = predictor.predict("fraud", [{"cc_num": 1}, {"cc_num": 2}])
    stats = setup["td"].statistics["limit"]
    raw = setup["view"].get_feature_vector({"cc_num": 1})
    expected = (raw["limit"] - stats["center"]) / stats["scale"] + raw["age"]
    assert results[0].prediction == pytest.approx(expected)
    assert (results[0].model, results[0].model_version) == ("scorer", 1)
    assert results[0].request_id != results[1].request_id
    log = PredictionLog(fs, "fraud", interval=0.05)
    for entity, result in zip([{"cc_num": 1}, {"cc_num": 2}], results, strict=True):
        log.append(entity, result, latency_ms=1.0)
    log.close()  # a clean shutdown writes everything queued
    logged = fs.get_feature_group("fraud_predictions").read().to_pandas()
    assert sorted(logged["request_id"]) == sorted(r.request_id for r in results)
    assert log.dropped == 0 and log.written == 2
    assert fs.log_outcomes("fraud", [{"request_id": results[0].request_id, "outcome": 1.0}]) == 1
    outcomes = fs.get_feature_group("fraud_outcomes").read().to_pandas()
    assert outcomes["outcome"].tolist() == [1.0]


def test_a_model_is_given_only_its_inputs_and_the_service_still_logs_every_feature(
    fs: fh.FeatureStore, setup: dict[str, Any]
) -> None:
    mv = fs.models.register(
        "scorer", total, feature_view=setup["view"], training_dataset=setup["td"], inputs=["age"]
    )
    assert mv.inputs == ["age"]
    fs.deploy("fraud", model="scorer", version=mv.version)
    result = Predictor(fs).predict("fraud", [{"cc_num": 7}])[0]
    raw = setup["view"].get_feature_vector({"cc_num": 7})
    assert result.prediction == raw["age"]  # the sum of its one input, without the limit
    assert set(result.features) == {"limit", "age"}


def test_a_log_under_steady_traffic_writes_once_an_interval(
    fs: fh.FeatureStore, setup: dict[str, Any]
) -> None:
    fs.deploy("fraud", model="scorer", version=1)
    result = Predictor(fs).predict("fraud", [{"cc_num": 1}])[0]
    log = PredictionLog(fs, "fraud", interval=1.0)
    for _ in range(60):  # a prediction every 25 ms for 1.5 s: writes could follow each other
        log.append({"cc_num": 1}, result, 1.0)
        time.sleep(0.025)
    log.close()
    assert log.written == 60
    # the group's creation, a write after 1 s, the rest when closed
    assert len(fs.get_feature_group("fraud_predictions").commits()) <= 3


def test_a_full_queue_drops_and_counts(fs: fh.FeatureStore, setup: dict[str, Any]) -> None:
    fs.deploy("fraud", model="scorer", version=1)
    result = Predictor(fs).predict("fraud", [{"cc_num": 1}])[0]
    log = PredictionLog(fs, "fraud", capacity=1, interval=5.0)
    for _ in range(50):
        log.append({"cc_num": 1}, result, 1.0)
    log.close()
    assert log.written + log.dropped == 50 and log.dropped > 0


def test_batch_predict_writes_predictions_with_model_versions(
    fs: fh.FeatureStore, setup: dict[str, Any]
) -> None:
    fs.deploy("fraud", model="scorer", split={1: 0.5, 2: 0.5})
    result = fs.batch_predict("fraud", start=T0, end=T0 + timedelta(hours=1)).to_pandas()
    assert len(result) == 100 and set(result["model_version"]) == {1, 2}
    ones = result[result["model_version"] == 1]["prediction"]
    twos = result[result["model_version"] == 2]["prediction"]
    assert (ones > 0).all() and (twos < 0).all()  # each row scored by its own version
    stored = fs.get_feature_group("fraud_inference").read().to_pandas()
    assert len(stored) == 100


def test_the_service_runs_models_on_one_thread() -> None:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(n_jobs=-1)
    limit_threads(model, 1)
    assert model.get_params()["n_jobs"] == 1
    limit_threads(total, 1)  # a model without an n_jobs parameter is left as it is


# -- deploy racing models.delete ------------------------------------------------------


class PauseBeforeWrite:
    """A catalog that waits once for its rival thread at ``barrier`` before its first write
    of ``kind``: both sides have then made their checks before either change lands, the
    interleaving that lost the check before deploy and delete became transactions."""

    def __init__(self, catalog: Any, kind: str, barrier: threading.Barrier) -> None:
        self._catalog = catalog
        self._kind = kind
        self._barrier = barrier
        self._paused = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def create(self, kind: str, *args: Any, **kwargs: Any) -> Any:
        self._pause(kind)
        return self._catalog.create(kind, *args, **kwargs)

    def delete(self, kind: str, *args: Any, **kwargs: Any) -> Any:
        self._pause(kind)
        return self._catalog.delete(kind, *args, **kwargs)

    def _pause(self, kind: str) -> None:
        if kind == self._kind and not self._paused:
            self._paused = True
            self._barrier.wait(timeout=60)


def outcome(action: Callable[[], Any]) -> BaseException | None:
    """None if ``action`` succeeded, else what it raised."""
    try:
        action()
    except Exception as exc:
        return exc
    return None


def race_deploy_and_delete(
    home: Path, catalog: str | None, name: str, version: int
) -> dict[str, BaseException | None]:
    """Two threads, each with its own store, deploy and delete model ``scorer`` ``version``;
    each makes its check, then waits for the other before its change."""
    barrier = threading.Barrier(2)
    stores = [fh.connect(home, catalog=catalog) for _ in range(2)]
    for fs, kind in zip(stores, (DEPLOYMENT, MODEL), strict=True):
        services = fs._services
        services.__dict__["catalog"] = PauseBeforeWrite(services.catalog, kind, barrier)
    deployer, deleter = stores
    with ThreadPoolExecutor(2) as pool:
        deploy = pool.submit(
            outcome, lambda: deployer.deploy(name, model="scorer", version=version)
        )
        delete = pool.submit(outcome, lambda: deleter.models.delete("scorer", version))
        outcomes = {"deploy": deploy.result(timeout=120), "delete": delete.result(timeout=120)}
    for fs in stores:
        fs.close()
    return outcomes


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_deploy_racing_delete_of_the_same_version_lets_exactly_one_win(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    catalog = None if backend == "sqlite" else request.getfixturevalue("postgres_url")
    home = tmp_path / "project"
    with fh.connect(home, catalog=catalog) as fs:
        group = fs.create_feature_group("cards", primary_key=["cc_num"], event_time="ts")
        group.insert(pa.table({"cc_num": [1], "ts": pa.array([T0], pa.timestamp("us", tz="UTC"))}))
        view = fs.create_feature_view("card_view", query=group.select_all())
        versions = [
            fs.models.register("scorer", total, feature_view=view).version for _ in range(4)
        ]
    winners = []
    for version in versions:
        name = f"fraud_{version}"
        outcomes = race_deploy_and_delete(home, catalog, name, version)
        won = [side for side, error in outcomes.items() if error is None]
        assert len(won) == 1, f"version {version}: {outcomes}"
        with fh.connect(home, catalog=catalog) as fs:
            if won == ["deploy"]:
                assert isinstance(outcomes["delete"], ConflictError), outcomes
                assert fs.models.get("scorer", version).version == version
                assert [s.version for s in fs.deployments.get(name).models] == [version]
            else:
                assert isinstance(outcomes["deploy"], NotFoundError), outcomes
                assert version not in [m.version for m in fs.models.list("scorer")]
                with pytest.raises(NotFoundError):
                    fs.deployments.get(name)
        winners.extend(won)
    print(f"winner of each race: {winners}")
