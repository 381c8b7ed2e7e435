"""``run``: the data, both projects, then each server in turn on a free loopback port
(featurehouse, optionally with two workers, then Feast at its defaults and optionally
tuned): sequential latencies and wrk throughput against the same keys, then the
predictions endpoint, and the optional soak."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fgbench.measure import Result, isolated, scratch_dir
from fvbench import feast_env
from fvbench.runner import featurehouse_commit

from . import data
from .client import Endpoint, paced, sequential, warm_up
from .projects import DEPLOYMENT, VIEW, setup_feast, setup_featurehouse
from .servers import Server, free_port
from .wrk import run_wrk

ROOT = Path(__file__).resolve().parents[2]  # the featurehouse checkout that is measured
# Feast at its defaults restarts its worker every 1,000 requests and logs each request.
FEAST_TUNED = ["--no-access-log", "--max-requests", "10000000"]
TWO_WORKERS = ["--workers", "2"]


def run(
    entities: int = data.ENTITIES,
    lookups: int = 5_000,
    warmup: int = 500,
    wrk_seconds: float = 20.0,
    feast: bool = True,
    feast_tuned: bool = True,
    two_workers: bool = True,
    soak_seconds: float = 0.0,
    soak_rate: float = 200.0,
    data_dir: str | Path | None = None,
    keep: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Result:
    """``{"config": ..., "setup": ..., "servers": {name: {"vectors": {"sequential", "wrk"},
    "predict": ...}}, "soak": ...}``."""
    root = scratch_dir(data_dir, "serve-bench-")
    results: Result = {
        "config": {
            "entities": entities,
            "features": data.FEATURES,
            "lookups": lookups,
            "warmup": warmup,
            "wrk_seconds": wrk_seconds,
            "load": os.getloadavg(),
            "commit": featurehouse_commit(),
            "feast": feast_env.ensure_venv(log) if feast else None,
            "data_dir": str(root),
        },
        "setup": {},
        "servers": {},
    }
    try:
        _run(results, root, entities, lookups, warmup, wrk_seconds, feast, feast_tuned,
             two_workers, soak_seconds, soak_rate, log)  # fmt: skip
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return results


def _run(
    results: Result,
    root: Path,
    entities: int,
    lookups: int,
    warmup: int,
    wrk_seconds: float,
    feast: bool,
    feast_tuned: bool,
    two_workers: bool,
    soak_seconds: float,
    soak_rate: float,
    log: Callable[[str], None],
) -> None:
    files, home, repo = root / "data", root / "fh", root / "feast"
    log(f"data: {entities:,} entities x {data.FEATURES} float features")
    isolated(data.make_data, files, entities)
    log("featurehouse: online group, view, XGBoost model, deployment")
    results["setup"]["featurehouse"] = isolated(setup_featurehouse, files, home)
    if feast:
        log("Feast: feast apply, feast materialize")
        feast_cli = feast_env.python().parent / "feast"
        results["setup"]["feast"] = setup_feast(feast_cli, files, repo)
    f0 = data.first_features(files)
    keys = data.make_keys(entities, warmup + lookups)
    vectors = Endpoint(
        f"/v1/feature-views/{VIEW}/vectors", data.featurehouse_body, data.featurehouse_f0,
        f0.__getitem__,
    )  # fmt: skip
    predict = Endpoint(
        f"/v1/deployments/{DEPLOYMENT}/predict", data.featurehouse_body, data.prediction
    )
    feast_vectors = Endpoint("/get-online-features", data.feast_body, data.feast_f0, f0.__getitem__)

    def measure(server: Server, endpoint: Endpoint) -> Result:
        log(f"{server.name}: {lookups:,} sequential requests to {endpoint.path}")
        one_by_one = sequential(server.port, endpoint, keys, warmup)
        log(f"{server.name}: wrk, {wrk_seconds:g} s, 8 connections, 2 threads")
        wrk = run_wrk(server.port, endpoint.path, endpoint.body, entities, root, wrk_seconds)
        return {"sequential": one_by_one, "wrk": wrk}

    both = [("vectors", vectors), ("predict", predict)]
    contenders: list[tuple[str, list[str], str, list[tuple[str, Endpoint]]]] = [
        ("featurehouse", [], "/healthz", both),
    ]
    if two_workers:
        contenders.append(("featurehouse, 2 workers", TWO_WORKERS, "/healthz", both))
    if feast:
        contenders.append(("Feast, defaults", [], "/health", [("vectors", feast_vectors)]))
        if feast_tuned:
            contenders.append(("Feast, tuned", FEAST_TUNED, "/health",
                               [("vectors", feast_vectors)]))  # fmt: skip
            contenders.append(("Feast, tuned, 2 workers", [*FEAST_TUNED, *TWO_WORKERS],
                               "/health", [("vectors", feast_vectors)]))  # fmt: skip
    for name, extra, health, endpoints in contenders:
        with _server(name, home, repo, root, extra, health) as server:
            started = server.wait_until_up()
            workers = 2 if TWO_WORKERS[1] in extra else 1
            measured: Result = {"start_seconds": started, "options": extra, "workers": workers}
            for label, endpoint in endpoints:
                measured[label] = measure(server, endpoint)
            measured["rss_mib"] = server.rss_mib()
            results["servers"][name] = measured
    if soak_seconds > 0:
        log(f"soak: {soak_seconds:g} s at {soak_rate:g} requests/s (vectors and predict)")
        with _server("featurehouse soak", home, repo, root, [], "/healthz") as server:
            server.wait_until_up()
            for endpoint in (vectors, predict):  # as for the other runs: warm, then measure
                warm_up(server.port, endpoint, keys[:warmup])
            results["soak"] = paced(
                server.port, [vectors, predict], keys, soak_rate, soak_seconds, server.rss_mib
            )


@contextmanager
def _server(
    name: str, home: Path, repo: Path, root: Path, extra: list[str], health: str
) -> Iterator[Server]:
    port = free_port()
    log_file = root / f"{name.replace(' ', '_').replace(',', '')}.log"
    if name.startswith("Feast"):
        feast_cli = str(feast_env.python().parent / "feast")
        command = [feast_cli, "--chdir", str(repo), "serve", "-h", "127.0.0.1", "-p", str(port)]
        env = {}
    else:
        command = [sys.executable, "-m", "featurehouse.cli.main", "serve", "--project",
                   str(home), "--port", str(port)]  # fmt: skip
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        }
    server = Server(name, [*command, *extra], port, health, log_file, env)
    try:
        yield server
    finally:
        server.stop()
