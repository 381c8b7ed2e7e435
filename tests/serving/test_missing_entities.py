"""Entities that are not in the online store: every answer says which they are, and a
deployment may refuse them instead of scoring null features."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import featurehouse as fh
from featurehouse.errors import DataError, NotFoundError
from featurehouse.serving.app import create_app
from featurehouse.serving.predictor import Predictor
from tests.serving.conftest import CARDS

PREDICT = "/v1/deployments/fraud/predict"
VECTORS = "/v1/feature-views/card_view/vectors"
KNOWN, UNKNOWN = {"cc_num": 1}, {"cc_num": CARDS + 7}


@pytest.fixture
def client(fs: fh.FeatureStore, deployed: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(fs, log_interval=0.05)) as client:
        yield client


def test_answers_say_which_entities_were_not_found(client: TestClient) -> None:
    body = client.post(PREDICT, json={"entities": [KNOWN, UNKNOWN, KNOWN]}).json()
    assert [p["found"] for p in body["predictions"]] == [True, False, True]
    body = client.post(VECTORS, json={"entities": [UNKNOWN, KNOWN]}).json()
    assert body["found"] == [False, True] and body["vectors"][0] == [None, None]
    assert client.post(VECTORS, json={"entities": []}).json()["found"] == []


def test_a_deployment_can_refuse_entities_not_found(
    fs: fh.FeatureStore, deployed: dict[str, Any]
) -> None:
    assert fs.deployments.get("fraud").missing_entities == "predict"  # the default
    fs.deploy("fraud", model="scorer", version=1, missing_entities="refuse")
    with TestClient(create_app(fs)) as client:
        refused = client.post(PREDICT, json={"entities": [KNOWN, UNKNOWN]})
        assert refused.status_code == 404, refused.text
        error = refused.json()["error"]
        assert error["field"] == "entities[1]" and error["received"] == UNKNOWN
        assert str(UNKNOWN["cc_num"]) in error["message"]
        answered = client.post(PREDICT, json={"entities": [KNOWN]}).json()
        assert answered["predictions"][0]["found"] is True
    with pytest.raises(NotFoundError, match=str(UNKNOWN["cc_num"])):
        Predictor(fs).predict("fraud", [UNKNOWN])
    # kept by a change that does not say, and by a rollback
    assert fs.deploy("fraud", version=2).missing_entities == "refuse"
    assert fs.rollback("fraud").missing_entities == "refuse"
    assert fs.deploy("fraud", version=1, missing_entities="predict").missing_entities == "predict"
    with pytest.raises(DataError, match="missing_entities") as raised:
        fs.deploy("fraud", version=1, missing_entities="skip")
    assert raised.value.column == "missing_entities"
    assert len(fs.deployments.history("fraud")) == 5  # the refused change wrote nothing


def test_a_prediction_reads_each_feature_group_once(
    fs: fh.FeatureStore, deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether an entity was found comes from the read of its vector, not a second one."""
    online = fs._services.online
    reads: list[str] = []
    read = online.read

    def counted(table: Any, keys: Any) -> Any:
        reads.append(table.name)
        return read(table, keys)

    monkeypatch.setattr(online, "read", counted)
    predictions = Predictor(fs).predict("fraud", [KNOWN, UNKNOWN])
    assert [p.found for p in predictions] == [True, False]
    assert reads and len(reads) == len(set(reads))
