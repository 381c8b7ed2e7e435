"""Feature pipeline: source cards, merchants and transactions -> the feature groups
``card_profiles``, ``merchants`` and ``card_activity`` (windowed aggregates per card).

Input: the source files of ``generate``. Output: the three online feature groups, with the
history before the live window (live transactions are written by the inference step as
they arrive). Runs again safely: inserts are upserts on (key, event time).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

import featurehouse as fh
from featurehouse.examples.common import (
    feature_groups,
    parse_project,
    print_writes,
    read_table,
    source_dir,
)
from featurehouse.examples.fraud.generate import EXAMPLE, read_size
from featurehouse.examples.fraud.windows import card_activity

GROUPS = {
    "card_profiles": ("cc_num", "Card holders: home location, age, credit limit"),
    "merchants": ("merchant_id", "Merchants: category and location"),
    "card_activity": (
        "cc_num",
        "Per card transaction: amount, merchant, counts and amount sums over 10 minutes, "
        "1 hour and 1 day, time of the previous transaction",
    ),
}


def groups(fs: fh.FeatureStore) -> dict[str, fh.FeatureGroup]:
    """The example's online feature groups (created on first use)."""
    return feature_groups(fs, EXAMPLE, GROUPS, online=True)


def activity(project: Path) -> Any:
    """Window aggregates of every source transaction (with its ``tx_id``)."""
    return card_activity(read_table(source_dir(project, EXAMPLE), "transactions"))


def insert_activity(group: fh.FeatureGroup, rows: Any) -> fh.WriteResult:
    """Write activity rows (``tx_id`` is the source's, not a feature)."""
    return group.insert(rows.drop_columns(["tx_id"]))


def run(project: Path) -> dict[str, fh.WriteResult]:
    """Write profiles, merchants and the activity of every transaction before the live
    window; returns each group's write result."""
    directory = source_dir(project, EXAMPLE)
    live_start = read_size(project).live_start
    rows = activity(project)
    history = rows.filter(pc.less(rows["ts"], live_start))
    with fh.connect(project) as fs:
        target = groups(fs)
        return {
            "card_profiles": target["card_profiles"].insert(read_table(directory, "cards")),
            "merchants": target["merchants"].insert(read_table(directory, "merchants")),
            "card_activity": insert_activity(target["card_activity"], history),
        }


def main(argv: Sequence[str] | None = None) -> None:
    print_writes(run(parse_project(__doc__ or "", argv)))


if __name__ == "__main__":
    main()
