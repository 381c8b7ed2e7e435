"""Property-based: requests generated from the service's own OpenAPI schema, valid ones and
invalid ones, never get a 5xx answer.

Each operation is driven through Hypothesis directly (``operation.as_strategy``): the
``schema.parametrize`` route needs a module-level app, and this one needs a fresh store.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

import featurehouse as fh
from featurehouse.serving.app import create_app

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KNOWN = {"/v1/deployments/{name}/predict": "fraud", "/v1/feature-views/{name}/vectors": "card_view"}
EXAMPLES = 40


def test_no_server_errors(fs: fh.FeatureStore, deployed: dict[str, Any]) -> None:
    app = create_app(fs, token=TOKEN, log_interval=0.05)
    with TestClient(app) as client:  # runs the lifespan: logs are drained at the end
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {
            "/v1/deployments/{name}/predict",
            "/v1/feature-views/{name}/vectors",
            "/healthz",
            "/metrics",
        }
        for operation in operations:
            _check(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
            if len(operation.body) or len(operation.path_parameters):  # else nothing is invalid
                _check(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
            if operation.path in KNOWN:  # random names are unknown: also bodies for real ones
                known = {"name": KNOWN[operation.path]}
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    _check(operation.as_strategy(generation_mode=mode, path_parameters=known))
        statuses = _statuses(client.get("/metrics", headers=AUTH).text)
    assert {200, 404, 422} <= statuses and not any(s >= 500 for s in statuses)


def _check(strategy: Any) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def no_server_error(case: Any) -> None:
        case.call_and_validate(headers=AUTH, checks=[not_a_server_error])

    no_server_error()


def _statuses(metrics: str) -> set[int]:
    """The statuses the service answered with, from its request counter."""
    return {
        int(line.split('status="')[1].split('"')[0])
        for line in metrics.splitlines()
        if line.startswith("featurehouse_http_requests_total{")
    }
