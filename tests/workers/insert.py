"""A child process that inserts one batch into a feature group (see ``Child``).

    python -m tests.workers.insert <home> <feature group> <batch.parquet> [mode]

It prints ``ready`` just before ``insert``, then ``done <version>``. The mode decides
what happens at the online write that follows the offline (Delta) commit:

- none: markers only, behaviour unchanged: ``phase offline`` as the Delta write starts,
  ``phase online`` as the online write starts;
- ``--die-before-online``: the online store's ``write_latest`` SIGKILLs the process, a
  real crash exactly between the offline commit and the online write;
- ``--pause-before-online=<file>``: ``write_latest`` prints ``paused`` and waits (at
  most a minute) until ``<file>`` exists before it writes, a slow writer.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAUSE_LIMIT = 60.0


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


def pause_until(release: Path, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        say("paused")
        deadline = time.monotonic() + PAUSE_LIMIT
        while not release.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{release} did not appear in {PAUSE_LIMIT}s")
            time.sleep(0.01)
        return method(*args, **kwargs)

    return wrapper


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    import featurehouse as fh

    home, name, path, *flags = argv
    fs = fh.connect(home)
    fg = fs.get_feature_group(name, 1)
    data = pq.read_table(path)
    services = fs._services
    online = services.online  # open it now, so that the patches below stick
    offline = services.offline
    mode = flags[0] if flags else ""
    if mode == "--die-before-online":
        online.write_latest = die  # type: ignore[method-assign]
    elif mode.startswith("--pause-before-online="):
        release = Path(mode.split("=", 1)[1])
        online.write_latest = pause_until(release, online.write_latest)  # type: ignore[method-assign]
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
