"""Turning a SQLite file to WAL mode when several processes open it at once.

The switch needs a lock that SQLite's busy handler does not wait for (it answers
"database is locked" at once to avoid a deadlock), so two processes opening a new file
together can fail. The mode is kept in the file: the first switch is the only one that
can race, and it is retried here until the timeout.
"""

from __future__ import annotations

import random
import sqlite3
import time
from typing import Any


def use_wal(cursor: Any, timeout: float = 30.0) -> None:
    """Run ``PRAGMA journal_mode=WAL`` on a DB-API cursor or connection, retrying while
    another connection holds the lock, for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + 0.04 * random.random())
