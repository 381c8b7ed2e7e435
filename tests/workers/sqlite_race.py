"""Run by tests/test_sqlite_open_race.py in a fresh interpreter (forking pytest, which has
started threads, would not be safe): for each trial, four forked processes released
together open the same new SQLite files as an online store and as a catalog. Prints the
failures as JSON."""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

from featurehouse.catalog.sql import SqlCatalog
from featurehouse.online.sqlite import SqliteOnlineStore

CONTENDERS = 4


def open_both(directory: str, barrier: Any, errors: Any) -> None:
    barrier.wait()
    try:
        SqliteOnlineStore(f"sqlite:///{directory}/online.db").close()
        SqlCatalog(f"sqlite:///{directory}/catalog.db")
    except Exception as exc:
        errors.put(repr(exc))


def main(root: str, trials: int) -> None:
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    failures = []
    for trial in range(trials):
        directory = Path(root) / str(trial)
        directory.mkdir(parents=True)
        barrier = ctx.Barrier(CONTENDERS, timeout=30)
        procs = [
            ctx.Process(target=open_both, args=(str(directory), barrier, errors))
            for _ in range(CONTENDERS)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=60)
            if proc.exitcode != 0:  # hung, or died before it could report
                failures.append(f"trial {trial}: a process ended with {proc.exitcode}")
                proc.kill()
    while not errors.empty():
        failures.append(errors.get())
    print(json.dumps(failures))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
