"""The HTTP service on a real embedded store: predictions, vectors, errors that name the
field, limits, the token, health and metrics, and the prediction log flushed on shutdown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import featurehouse as fh
from featurehouse.config import Settings
from featurehouse.errors import DataError
from featurehouse.serving.app import create_app
from featurehouse.serving.bodies import MAX_ENTITIES
from featurehouse.serving.predictor import REFRESH_SECONDS, Predictor
from featurehouse.serving.security import check_bind, is_loopback

PREDICT = "/v1/deployments/fraud/predict"
VECTORS = "/v1/feature-views/card_view/vectors"


@pytest.fixture
def client(fs: fh.FeatureStore, deployed: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(fs, log_interval=0.05)) as client:
        yield client


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert set(body) >= {"type", "message", "field", "expected", "received"}
    return body


def test_predictions_match_the_predictor(fs: fh.FeatureStore, client: TestClient) -> None:
    entities = [{"cc_num": 1}, {"cc_num": 2}, {"cc_num": 10_000}]  # the last has no features
    response = client.post(PREDICT, json={"entities": entities})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["deployment"], body["revision"]) == ("fraud", 1)
    expected = Predictor(fs).predict("fraud", entities)
    got = body["predictions"]
    assert [p["prediction"] for p in got] == pytest.approx([p.prediction for p in expected])
    assert [(p["model"], p["model_version"]) for p in got] == [("scorer", 1)] * 3
    assert len({p["request_id"] for p in got}) == 3


def test_vectors_as_lists_and_objects(fs: fh.FeatureStore, client: TestClient) -> None:
    view = fs.get_feature_view("card_view")
    body = client.post(VECTORS, json={"entities": [{"cc_num": 3}, {"cc_num": 10_000}]}).json()
    assert body["features"] == view.features == ["limit", "age"]
    assert body["vectors"][0] == pytest.approx(
        list(view.get_feature_vector({"cc_num": 3}).values())
    )
    assert body["vectors"][1] == [None, None]
    request_view = "/v1/feature-views/card_request_view/vectors"
    body = client.post(
        request_view,
        json={"entities": [{"cc_num": 3}], "request": {"amount": 50.0}, "as_objects": True},
    ).json()
    row = body["vectors"][0]
    assert body["features"] == ["limit", "age", "limit_share"]
    assert row["limit_share"] == pytest.approx(50.0 / row["limit"])
    missing = client.post(request_view, json={"entities": [{"cc_num": 3}]})
    assert error(missing, 422)["field"] == "amount"
    unbound = client.post(VECTORS, json={"entities": [{"cc_num": 3}], "transformed": True})
    assert "bind" in error(unbound, 422)["message"]
    assert error(client.post(VECTORS, json={"entities": [], "version": 9}), 404)


def test_a_deployment_change_is_picked_up_without_restart(
    fs: fh.FeatureStore, client: TestClient
) -> None:
    before = client.post(PREDICT, json={"entities": [{"cc_num": 1}]}).json()["predictions"][0]
    assert before["model_version"] == 1 and before["prediction"] > 0
    fs.deploy("fraud", model="scorer", version=2)
    time.sleep(REFRESH_SECONDS + 0.2)
    after = client.post(PREDICT, json={"entities": [{"cc_num": 1}]}).json()
    assert after["revision"] == 2
    assert after["predictions"][0]["model_version"] == 2
    assert after["predictions"][0]["prediction"] == pytest.approx(-before["prediction"])


def test_unknown_deployment_and_view_are_404(client: TestClient) -> None:
    body = error(client.post("/v1/deployments/nope/predict", json={"entities": []}), 404)
    assert body["type"] == "NotFoundError" and "nope" in body["message"]
    assert error(client.post("/v1/feature-views/nope/vectors", json={"entities": []}), 404)
    assert error(client.get("/v1/nothing"), 404)["type"] == "NotFound"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entities": [{"card": 1}]}, "entities[0].cc_num"),  # missing key field
        ({"entities": [{"cc_num": 1, "colour": "red"}]}, "entities[0].colour"),  # unknown
        ({"entities": [{"cc_num": "one"}]}, "entities[0].cc_num"),  # wrong type
        ({"entities": [{"cc_num": 1.5}]}, "entities[0].cc_num"),
        ({"entities": [{"cc_num": True}]}, "entities[0].cc_num"),
        ({"entities": [{"cc_num": None}]}, "entities[0].cc_num"),
        ({"entities": [{"cc_num": 2**70}]}, "entities[0].cc_num"),  # beyond int64
        ({"entities": [{"cc_num": [1]}]}, "entities[0].cc_num"),
        ({"entities": [{"cc_num": 1}], "colour": "red"}, "colour"),  # unknown body field
        ({"entities": {"cc_num": 1}}, "entities"),
        ({}, "entities"),
        ({"entities": [{"cc_num": i} for i in range(MAX_ENTITIES + 1)]}, "entities"),
        ({"entities": [{"cc_num": 1}], "request": [{}, {}]}, "request"),  # one per entity
    ],
)
def test_client_mistakes_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    for path in (PREDICT, VECTORS):
        assert error(client.post(path, json=body), 422)["field"] == field


def test_malformed_bodies_and_names_are_422(client: TestClient) -> None:
    malformed = client.post(
        PREDICT, content=b'{"entities": [', headers={"Content-Type": "application/json"}
    )
    assert error(malformed, 422)["type"] == "ValidationError"
    assert error(client.post(PREDICT, content=b"cc_num=1"), 422)
    assert (
        error(client.post("/v1/deployments/Bad-Name/predict", json={"entities": []}), 422)["field"]
        == "name"
    )


def test_oversized_bodies_are_413(fs: fh.FeatureStore, deployed: dict[str, Any]) -> None:
    with TestClient(create_app(fs, max_body_bytes=10_000)) as client:
        announced = client.post(PREDICT, content=b"x" * 10_001)
        assert error(announced, 413)["type"] == "TooLarge"
        streamed = client.post(PREDICT, content=iter([b'{"entities": [', b" " * 10_001]))
        assert error(streamed, 413)["type"] == "TooLarge"
        assert client.post(PREDICT, json={"entities": [{"cc_num": 1}]}).status_code == 200


def test_a_token_guards_every_v1_route_and_metrics(
    fs: fh.FeatureStore, deployed: dict[str, Any]
) -> None:
    body = {"entities": [{"cc_num": 1}]}
    with TestClient(create_app(fs, token="s3cret")) as client:
        refused = client.post(PREDICT, json=body)
        assert error(refused, 401)["type"] == "Unauthorized"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer s3cre"}
        assert client.post(VECTORS, json=body, headers=wrong).status_code == 401
        assert client.get("/metrics").status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert client.post(PREDICT, json=body, headers=right).status_code == 200
        assert client.post(VECTORS, json=body, headers=right).status_code == 200
        assert client.get("/metrics", headers=right).status_code == 200
        assert client.get("/healthz").json() == {"status": "ok"}


def test_health_metrics_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.post(PREDICT, json={"entities": [{"cc_num": 1}, {"cc_num": 2}]})
    client.post("/v1/deployments/nope/predict", json={"entities": []})
    text = client.get("/metrics").text
    route = 'route="/v1/deployments/{name}/predict"'
    assert f'featurehouse_http_requests_total{{method="POST",{route},status="200"}} 1.0' in text
    assert f'featurehouse_http_requests_total{{method="POST",{route},status="404"}} 1.0' in text
    assert f'featurehouse_http_request_duration_seconds_count{{method="POST",{route}' in text
    predictions = 'featurehouse_predictions_total{deployment="fraud",model="scorer",'
    assert predictions + 'model_version="1"} 2.0' in text
    assert 'featurehouse_prediction_log_written_total{deployment="fraud"}' in text
    assert 'featurehouse_prediction_log_dropped_total{deployment="fraud"} 0.0' in text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/deployments/{name}/predict", "/v1/feature-views/{name}/vectors"} <= set(paths)


def test_predictions_are_in_the_log_after_shutdown(
    fs: fh.FeatureStore, deployed: dict[str, Any]
) -> None:
    # A long interval: what is still queued at shutdown must be written then.
    with TestClient(create_app(fs, log_interval=30.0)) as client:
        ids = [
            p["request_id"]
            for cc_num in range(5)
            for p in client.post(PREDICT, json={"entities": [{"cc_num": cc_num}]}).json()[
                "predictions"
            ]
        ]
    logged = fs.get_feature_group("fraud_predictions").read().to_pandas()
    assert sorted(logged["request_id"]) == sorted(ids)
    assert (logged["latency_ms"] > 0).all() and set(logged["model_version"]) == {1}


def broken(rows: list[dict[str, Any]]) -> list[float]:
    raise RuntimeError("connection string with a password")


def test_a_failing_model_is_a_500_that_shows_nothing_internal(
    fs: fh.FeatureStore, deployed: dict[str, Any]
) -> None:
    fs.models.register("broken", broken, feature_view=deployed["view"])
    fs.deploy("broken", model="broken")
    with TestClient(create_app(fs), raise_server_exceptions=False) as client:
        response = client.post("/v1/deployments/broken/predict", json={"entities": [{"cc_num": 1}]})
        body = error(response, 500)
        assert body["type"] == "InternalError" and "password" not in response.text
        assert 'status="500"' in client.get("/metrics").text


def test_binding_beyond_loopback_needs_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "s3cret")
    with pytest.raises(DataError, match="token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(DataError, match="token"):
        check_bind("10.0.0.1", "")


def test_the_token_setting_is_read_from_the_environment_and_never_shown(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEATUREHOUSE_SERVE_TOKEN", "s3cret")
    settings = Settings.load(tmp_path)
    assert settings.serve_token == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_deployment_that_cannot_load_is_a_server_fault_and_unhealthy(
    fs: fh.FeatureStore, deployed: dict[str, Any], caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    fs.deploy("damaged", model="scorer", version=2)
    artifact = fs.models.get("scorer", 2).artifact
    if damage == "changed":
        artifact.write_bytes(b"not the registered model")
    else:
        artifact.unlink()
    with TestClient(create_app(fs)) as client:  # start-up loads every deployment
        assert client.get("/healthz").json() == {
            "status": "degraded",
            "unhealthy_deployments": ["damaged"],
        }
        assert client.post(PREDICT, json={"entities": [{"cc_num": 1}]}).status_code == 200
        damaged = client.post("/v1/deployments/damaged/predict", json={"entities": [{"cc_num": 1}]})
        body = error(damaged, 500)
        assert body["type"] == "BackendError" and str(artifact.parent) not in damaged.text
        fs.deploy("damaged", model="scorer", version=1)  # repaired by a new revision
        time.sleep(REFRESH_SECONDS + 0.2)
        assert client.get("/healthz").json() == {"status": "ok"}
    assert "deployment damaged not loaded at start" in caplog.text
    detail = "checksum" if damage == "changed" else str(artifact)
    assert detail in caplog.text  # the details are in the server's log


def test_the_token_is_checked_before_the_body_is_read(
    fs: fh.FeatureStore, deployed: dict[str, Any]
) -> None:
    malformed = b'{"entities": ['
    json_type = {"Content-Type": "application/json"}
    with TestClient(create_app(fs, token="s3cret")) as client:
        for path in (PREDICT, VECTORS, "/v1/nothing"):
            refused = client.post(path, content=malformed, headers=json_type)
            assert error(refused, 401)["type"] == "Unauthorized"
            wrong_scheme = {**json_type, "Authorization": "Basic s3cret"}
            assert client.post(path, content=malformed, headers=wrong_scheme).status_code == 401
        right = {**json_type, "Authorization": "Bearer s3cret"}
        assert error(client.post(PREDICT, content=malformed, headers=right), 422)
        assert client.get("/openapi.json").status_code == 200  # the docs stay open
        schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
        assert schemes["HTTPBearer"]["scheme"] == "bearer"


def test_a_server_fault_shows_no_address_or_password(
    home: Any, deployed: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # The same project, its online store on a Redis that is not there.
    settings = Settings.load(home, online="redis://:hunter2@127.0.0.1:9/0")
    with fh.FeatureStore(settings) as unreachable, TestClient(create_app(unreachable)) as client:
        for path in (PREDICT, VECTORS):
            response = client.post(path, json={"entities": [{"cc_num": 1}]})
            body = error(response, 503)
            assert body["type"] == "BackendError" and response.headers["Retry-After"] == "1"
            assert "127.0.0.1" not in response.text and "hunter2" not in response.text
            assert str(home) not in response.text
    assert "127.0.0.1:9" in caplog.text and "hunter2" not in caplog.text


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_422_naming_the_field(client: TestClient, number: str) -> None:
    request_view = "/v1/feature-views/card_request_view/vectors"
    bodies = {
        "request.amount": (
            request_view,
            '{"entities": [{"cc_num": 1}], "request": {"amount": %s}}',
        ),
        "request[0].amount": (
            request_view,
            '{"entities": [{"cc_num": 1}], "request": [{"amount": %s}]}',
        ),
        "entities[0].cc_num": (PREDICT, '{"entities": [{"cc_num": %s}]}'),
    }
    for field, (path, template) in bodies.items():
        response = client.post(
            path, content=(template % number).encode(), headers={"Content-Type": "application/json"}
        )
        body = error(response, 422)
        assert body["field"] == field and "finite" in body["message"], body
