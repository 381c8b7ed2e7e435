"""Measuring a step inside its own spawned process: wall and CPU time, RSS and its peak."""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def _memory_mib() -> tuple[float, float]:
    """(resident now, peak resident) of this process, in MiB.

    On Linux this reads VmRSS and VmHWM: ``ru_maxrss`` is no use in a spawned child, as
    the kernel carries the parent's peak over fork + exec (a child of a 1.5 GB parent
    reports 1.5 GB). Elsewhere it falls back to ``ru_maxrss`` for both.
    """
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith("Vm"))
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mib = peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes / KiB
        return peak_mib, peak_mib


def _reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux >= 4.0), so the peak is the step's."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def timed(out: Result) -> Iterator[None]:
    """Time the block (wall and CPU of all threads); record RSS at its start and its peak."""
    _reset_peak()
    out["rss_before_mib"] = _memory_mib()[0]
    cpu = cpu_seconds()
    start = time.perf_counter()
    yield
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = cpu_seconds() - cpu
    out["peak_rss_mib"] = max(_memory_mib()[1], out["rss_before_mib"])


def isolated(fn: Callable[..., Result], *args: Any) -> Result:
    """Run ``fn(*args)`` in a fresh spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def warm_imports() -> None:
    """Load the libraries before any timing (a one-off cost of the process, not of the step)."""
    import deltalake  # noqa: F401
    import duckdb  # noqa: F401
    import pyarrow.compute
    import pyarrow.dataset  # noqa: F401

    import featurehouse  # noqa: F401


def scratch_dir(data_dir: str | Path | None, prefix: str) -> Path:
    """A new directory for a run's data, inside ``data_dir`` (created if missing) or the
    system's temporary directory."""
    if data_dir is not None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=data_dir))
