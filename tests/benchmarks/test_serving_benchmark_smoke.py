"""The serving benchmark's own parts, without servers of featurehouse or Feast: the clients
against a tiny in-process HTTP server (every answer counted and checked), wrk's summary
parsed, and the Lua script's body template.

Correctness only: no timing is asserted.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
WRONG_KEY = 7  # the fake server answers this key with a wrong value
FAILING_KEY = 8  # and this one with a 500

WRK_OUTPUT = """\
Running 20s test @ http://127.0.0.1:8000
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  500.00us  30.00ms   90.00%
    Req/Sec     3.30k   200.00     3.60k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.10ms
     90%    1.50ms
     99%    2.10ms
  131000 requests in 20.00s, 40.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:   6550.00
Transfer/sec:      2.00MB
"""


@pytest.fixture(scope="module")
def servebench() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {
            name: importlib.import_module(f"servebench.{name}")
            for name in ("client", "data", "wrk")
        }
    finally:
        sys.path.remove(str(BENCHMARKS))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the servers measured

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = body["entities"][0]["entity_id"]
        status = 500 if key == FAILING_KEY else 200
        value = -1.0 if key == WRONG_KEY else key / 10
        payload = json.dumps({"vectors": [[value]]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _endpoint(sb: dict[str, ModuleType]) -> Any:
    data = sb["data"]
    return sb["client"].Endpoint(
        "/v", data.featurehouse_body, data.featurehouse_f0, lambda key: key / 10
    )


def test_sequential_counts_errors_and_wrong_answers(
    servebench: dict[str, ModuleType], port: int
) -> None:
    keys = [1, 2, 3, WRONG_KEY, FAILING_KEY, 4, WRONG_KEY]
    result = servebench["client"].sequential(port, _endpoint(servebench), keys, warmup=2)
    assert result["calls"] == 5
    assert (result["errors"], result["wrong"]) == (1, 2)
    assert result["p50_us"] <= result["p99_us"] <= result["max_us"]


def test_paced_sends_at_its_rate_and_samples(servebench: dict[str, ModuleType], port: int) -> None:
    samples = iter(range(100))
    result = servebench["client"].paced(
        port,
        [_endpoint(servebench)],
        [1, 2, 3, 4],
        rate=40,
        seconds=1.0,
        sample=lambda: float(next(samples)),
        sample_every=0.5,
        threads=2,
    )
    assert result["sent"] == 40 and result["errors"] == result["wrong"] == 0
    assert [v for _, v in result["rss_samples"]] == [0.0, 1.0, 2.0]


def test_schedule_interleaves_threads(servebench: dict[str, ModuleType]) -> None:
    schedule = servebench["client"].schedule
    due = sorted(schedule(0.0, 4.0, 2, t, i) for t in range(2) for i in range(4))
    assert due == [n / 4 for n in range(8)]


def test_wrk_output_is_parsed(servebench: dict[str, ModuleType]) -> None:
    parsed = servebench["wrk"].parse(WRK_OUTPUT)
    assert parsed["requests"] == 131_000 and parsed["rps"] == 6550.0
    assert parsed["p50_ms"] == pytest.approx(0.85) and parsed["p99_ms"] == pytest.approx(2.1)
    assert parsed["non_2xx"] == 2 and parsed["socket_errors"]["read"] == 3
    assert parsed["errors"] == 6


def test_wrk_script_formats_the_body_with_a_key(servebench: dict[str, ModuleType]) -> None:
    data, wrk = servebench["data"], servebench["wrk"]
    script = wrk.script("/get-online-features", data.feast_body, 1000)
    template = script.split("[==[", 1)[1].split("]==]", 1)[0]
    assert json.loads(template.replace("%d", "42")) == json.loads(data.feast_body(42))
    assert "math.random(0, entities - 1)" in script and "local entities = 1000" in script
