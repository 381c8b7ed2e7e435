"""``featurehouse serve`` as a real process: it answers on a free loopback port, never
prints its token, writes every logged prediction when stopped with SIGTERM, refuses
to listen beyond this machine without a token, and refuses oversized headers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

import featurehouse as fh
from tests.serving.conftest import make_deployment

ROOT = Path(__file__).resolve().parents[2]  # so the process can unpickle the test models
TOKEN = "t0ken-under-test"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if k != "FEATUREHOUSE_SERVE_TOKEN"}
    paths = [str(ROOT), *filter(None, environ.get("PYTHONPATH", "").split(os.pathsep))]
    environ["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.Popen(
        [sys.executable, "-m", "featurehouse.cli.main", "serve", "--project", str(home), *args],
        cwd=ROOT,
        env={**environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_healthy(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the service did not answer on {url} in {START_TIMEOUT} s")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"no clean shutdown in {STOP_TIMEOUT} s:\n{output}") from None
    # uvicorn re-raises the signal once it has shut down gracefully
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    return output


def test_serve_predicts_and_flushes_its_log_on_sigterm(home: Path) -> None:
    with fh.connect(home) as fs:
        make_deployment(fs)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(home, "--port", str(port), FEATUREHOUSE_SERVE_TOKEN=TOKEN)
    try:
        wait_until_healthy(process, url)
        body: dict[str, Any] = {"entities": [{"cc_num": 1}, {"cc_num": 2}]}
        refused = httpx.post(f"{url}/v1/deployments/fraud/predict", json=body, timeout=30)
        assert refused.status_code == 401
        response = httpx.post(
            f"{url}/v1/deployments/fraud/predict",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    finally:
        output = stop(process)
    assert TOKEN not in output
    ids = sorted(p["request_id"] for p in response.json()["predictions"])
    with fh.connect(home) as fs:
        logged = fs.get_feature_group("fraud_predictions").read().to_pandas()
    assert sorted(logged["request_id"]) == ids


def raw_request(port: int, headers: bytes) -> bytes:
    """What the server answers a GET with ``headers`` (b"" if it closed the connection)."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        with contextlib.suppress(OSError):  # closed while we were still sending: refused
            s.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
    return answer


def test_serve_refuses_oversized_headers(home: Path) -> None:
    with fh.connect(home) as fs:
        fs.list_feature_groups()  # creates the project's catalog: serve opens existing ones only
    port = free_port()
    process = serve(home, "--port", str(port))
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}")
        huge = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 8000) for i in range(1024))  # 8 MiB
        answer = raw_request(port, huge)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:200]
        one_huge = b"X-Filler: " + b"a" * (8 << 20) + b"\r\n"
        answer = raw_request(port, one_huge)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:200]
        normal = raw_request(port, b"X-Filler: " + b"a" * 16_000 + b"\r\n")
        assert normal.startswith(b"HTTP/1.1 200"), normal[:200]
    finally:
        output = stop(process)
    assert "larger than" in output


def test_serve_beyond_loopback_without_a_token_is_refused(home: Path) -> None:
    process = serve(home, "--host", "0.0.0.0", "--port", str(free_port()))
    try:
        output, _ = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    assert "error:" in output and "without a token" in output
