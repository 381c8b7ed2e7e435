"""A child process that inserts one batch into a feature group, for tests/test_crash_safety.py.

    python -m tests.workers.crash <home> <feature group> <batch.parquet> [--die-before-online]

It prints ``ready`` just before ``insert`` and, as the insert runs, ``phase offline``
when the Delta write starts and ``phase online`` when the online write starts (markers
only: behaviour is unchanged), then ``done <version>``. With ``--die-before-online``
the online store's ``write_latest`` SIGKILLs the process instead: a real crash exactly
between the offline commit and the online write.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def say(message: str) -> None:
    print(message, flush=True)


def announce(method: Callable[..., Any], message: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        say(message)
        return method(*args, **kwargs)

    return wrapper


def die(*_args: Any, **_kwargs: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    import featurehouse as fh

    home, name, path, *flags = argv
    fs = fh.connect(home)
    fg = fs.get_feature_group(name, 1)
    data = pq.read_table(path)
    services = fs._services
    online = services.online  # open it now, so that the patch below sticks
    offline = services.offline
    if "--die-before-online" in flags:
        online.write_latest = die  # type: ignore[method-assign]
    else:
        offline.append = announce(offline.append, "phase offline")  # type: ignore[method-assign]
        offline.upsert = announce(offline.upsert, "phase offline")  # type: ignore[method-assign]
        online.write_latest = announce(online.write_latest, "phase online")  # type: ignore[method-assign]
    say("ready")
    result = fg.insert(data)
    say(f"done {result.version}")
    fs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
