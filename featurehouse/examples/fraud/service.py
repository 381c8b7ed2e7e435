"""The online inference service as a real process: ``featurehouse serve`` on a free
loopback port, stopped with SIGTERM so that it writes every queued prediction log."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from featurehouse.errors import FeaturehouseError

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """Run ``featurehouse serve`` for ``project``; yields its base URL."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "featurehouse.cli.main", "serve", "--project", str(project)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise FeaturehouseError(f"featurehouse serve exited: {process.communicate()[0]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise FeaturehouseError(f"featurehouse serve did not answer on {url}")
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM: uvicorn shuts down gracefully and the app writes its prediction log."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise FeaturehouseError("featurehouse serve did not stop cleanly") from None
