"""A child process that rebuilds a feature group's online rows (see tests/core/test_crash_rebuild.py).

    python -m tests.workers.rebuild <home> <feature group> <online uri> [mode]

It prints ``ready`` just before ``sync_online(rebuild=True)``, ``phase build`` as the
online store starts to build the new rows aside, then ``done <rows>``. The mode:

- none: markers only;
- ``--die-before-build``: SIGKILLed once the catalog marks the rebuild, before the
  online store is touched;
- ``--die-after-switch``: SIGKILLed after the online store switched to the new rows,
  before the catalog records the rebuild as done.
"""

from __future__ import annotations

import sys

from tests.workers.insert import announce, die, say


def main(argv: list[str]) -> int:
    import featurehouse as fh
    from featurehouse.core import online_sync

    home, name, online, *flags = argv
    fs = fh.connect(home, online=online)
    fg = fs.get_feature_group(name, 1)
    store = fs._services.online  # open it now, so that the patches below stick
    mode = flags[0] if flags else ""
    if mode == "--die-before-build":
        store.replace_all = die  # type: ignore[method-assign]
    else:
        store.replace_all = announce(store.replace_all, "phase build")  # type: ignore[method-assign]
    if mode == "--die-after-switch":
        online_sync._advance = die  # type: ignore[assignment]
    say("ready")
    written = fg.sync_online(rebuild=True)
    say(f"done {written}")
    fs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
