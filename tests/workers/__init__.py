"""Child processes for the crash-safety and concurrency tests, and ``Child``, which runs
``tests/workers/insert.py`` and reads its output.

Children are separate interpreters (subprocess, or multiprocessing with the spawn
method: deltalake panics in a forked child once the parent has used it).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0  # a child's imports and connect, on a slow CI machine
EXIT_TIMEOUT = 60.0


class Child:
    """``python -m tests.workers.insert`` inserting ``batch``; its stdout read by a thread."""

    def __init__(self, tmp: Path, home: Path, name: str, batch: pa.Table, *flags: str) -> None:
        path = tmp / f"batch-{uuid.uuid4().hex[:8]}.parquet"
        pq.write_table(batch, path)
        self._start(path.with_suffix(".stderr"), "tests.workers.insert", home, name, path, *flags)

    def _start(self, stderr_path: Path, module: str, *args: object) -> None:
        """Run ``python -m module args`` and read its output."""
        self.stderr_path = stderr_path
        with self.stderr_path.open("w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", module, *map(str, args)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, marker: str | None, timeout: float = STARTUP_TIMEOUT) -> bool:
        """True once the child printed ``marker``; False if its output ended first
        (``None`` reads all of its output)."""
        if marker in self.seen:
            return True
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                pytest.fail(f"child printed no {marker!r} in {timeout}s; saw {self.seen}")
            if line is None:
                self.lines.put(None)
                return False
            self.seen.append(line)
            if line == marker:
                return True

    def kill(self) -> None:
        """SIGKILL the child (this very process, by its pid) unless it has exited."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def wait(self) -> int:
        """The exit code; ``seen`` then holds every line the child printed."""
        try:
            code = self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=EXIT_TIMEOUT)
            pytest.fail(f"child did not exit in {EXIT_TIMEOUT}s; saw {self.seen}")
        self.wait_for(None)
        return code

    def stderr(self) -> str:
        return self.stderr_path.read_text()[-3000:]


class RebuildChild(Child):
    """``python -m tests.workers.rebuild``: rebuilds the online rows of a feature group."""

    def __init__(self, tmp: Path, home: Path, name: str, online: str, *flags: str) -> None:
        stderr = tmp / f"rebuild-{uuid.uuid4().hex[:8]}.stderr"
        self._start(stderr, "tests.workers.rebuild", home, name, online, *flags)
