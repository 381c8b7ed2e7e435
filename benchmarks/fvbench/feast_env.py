"""The Feast virtualenv (``benchmarks/.venv-feast``, git-ignored; Feast is no dependency of
featurehouse) and running ``feast_job.py`` in it as a subprocess.

The virtualenv is created on first use, the same as by hand::

    python3 -m venv benchmarks/.venv-feast
    benchmarks/.venv-feast/bin/pip install "feast[duckdb]==0.67.*"
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fgbench.measure import Result

BENCHMARKS = Path(__file__).resolve().parents[1]
VENV = BENCHMARKS / ".venv-feast"
REQUIREMENT = "feast[duckdb]==0.67.*"
JOB = Path(__file__).resolve().parent / "feast_job.py"


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(log: Callable[[str], None] = print) -> str:
    """Create the virtualenv and install Feast unless it imports already; its version."""
    check = [str(python()), "-c", "import feast; print(feast.__version__)"]
    if python().exists():
        found = subprocess.run(check, capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.strip()
    log(f"creating {VENV} with {REQUIREMENT} (once; ~1 min)")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, REQUIREMENT], check=True)
    return subprocess.run(check, capture_output=True, text=True, check=True).stdout.strip()


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_job(args: list[str], log_file: Path, timeout: float, memory_cap_mib: float) -> Result:
    """Run ``feast_job.py args`` in the Feast virtualenv; its ``RESULT`` JSON, or
    ``{"skipped": why}`` if it failed, ran past ``timeout`` seconds or past
    ``memory_cap_mib`` of resident memory (then it is stopped, to spare the machine)."""
    command = [str(python()), "-W", "ignore::DeprecationWarning", str(JOB), *args]
    with log_file.open("w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        started, reason = time.monotonic(), None
        while child.poll() is None:
            if time.monotonic() - started > timeout:
                reason = f"stopped after {timeout:.0f} s"
            elif rss_mib(child.pid) > memory_cap_mib:
                reason = f"stopped past {memory_cap_mib / 1024:.0f} GiB of memory"
            if reason:
                child.kill()
                child.wait()
                return {"skipped": reason}
            time.sleep(0.2)
    lines = log_file.read_text().splitlines()
    for line in reversed(lines):
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    tail = " | ".join(lines[-3:])
    return {"skipped": f"failed (exit {child.returncode}): {tail[-300:]}; log: {log_file}"}
