"""A server in a subprocess on a free 127.0.0.1 port: started, waited for, measured (its
resident memory, children included), and stopped by its own process id."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from fvbench.feast_env import rss_mib

START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``command`` (which must listen on ``port``) run in its own process group, its output
    in ``log``; ``health`` is the path that answers 200 once it is up."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        port: int,
        health: str,
        log: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.port = port
        self.log = log
        self._health = health
        with log.open("w") as out:
            self.process = subprocess.Popen(
                list(command),
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,  # its workers are stopped with it, by group id
            )

    def wait_until_up(self) -> float:
        """Seconds until the health path answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
                connection.request("GET", self._health)
                if connection.getresponse().status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer in {START_TIMEOUT:.0f} s")

    def rss_mib(self) -> float:
        """Resident memory of the server and its child processes (the workers)."""
        return sum(rss_mib(pid) for pid in _family(self.process.pid))

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after STOP_TIMEOUT."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    family, todo = [], [pid]
    while todo:
        current = todo.pop()
        family.append(current)
        todo.extend(children.get(current, []))
    return family
