"""The online inference service as a real process: ``featurehouse serve`` on a free
loopback port, stopped with SIGTERM so that it writes every queued prediction log."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from featurehouse.errors import FeaturehouseError

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``featurehouse serve`` for ``project``, started at once; ``wait_until_ready`` gives
    its URL once it answers (so a caller can do other work while it starts)."""

    def __init__(self, project: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "featurehouse.cli.main", "serve"]
        self._process = subprocess.Popen(
            [*command, "--project", str(project), "--port", str(port), "--log-level", "warning"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def wait_until_ready(self) -> str:
        import httpx

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                output = self._process.communicate()[0]
                raise FeaturehouseError(f"featurehouse serve exited: {output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise FeaturehouseError(f"featurehouse serve did not answer on {self.url}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM: uvicorn shuts down gracefully and the app writes its prediction log."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            self._process.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise FeaturehouseError("featurehouse serve did not stop cleanly") from None
