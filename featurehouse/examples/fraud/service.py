"""The online inference service as a real process: ``featurehouse serve`` on a free
loopback port, stopped with SIGTERM so that it writes every queued prediction log."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
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
        # a file, not a pipe: a long-running service must never block on a full pipe
        self._output = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by stop)
        self._process = subprocess.Popen(
            [*command, "--project", str(project), "--port", str(port), "--log-level", "warning"],
            stdout=self._output,
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
                raise FeaturehouseError(f"featurehouse serve exited: {self._read_output()}")
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
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise FeaturehouseError(
                f"featurehouse serve did not stop cleanly: {self._read_output()}"
            ) from None
        else:
            # uvicorn re-raises SIGTERM after a graceful shutdown (the log is written)
            if self._process.returncode not in (0, -signal.SIGTERM):
                raise FeaturehouseError(
                    f"featurehouse serve failed ({self._process.returncode}): {self._read_output()}"
                )
        finally:
            self._output.close()

    def _read_output(self) -> str:
        self._output.seek(0)
        return self._output.read()
