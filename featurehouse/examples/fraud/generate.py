"""The source system: writes the synthetic cards, merchants and transactions (with their
fraud labels, which in reality arrive later as chargebacks) as Parquet files under
``<project>/example-data/fraud``. Input: a size; output: the files and a manifest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from featurehouse.examples.common import parse_project, read_manifest, source_dir, write_sources
from featurehouse.examples.fraud.data import FraudDataSize, generate

EXAMPLE = "fraud"


def run(project: Path, size: FraudDataSize | None = None) -> dict[str, int]:
    """Write the source tables; returns rows per table."""
    size = size or FraudDataSize()
    return write_sources(project, EXAMPLE, generate(size), size.to_json())


def read_size(project: Path) -> FraudDataSize:
    """The size the source data was generated with (its time range, its live window)."""
    return FraudDataSize.from_json(read_manifest(source_dir(project, EXAMPLE), EXAMPLE))


def main(argv: Sequence[str] | None = None) -> None:
    project = parse_project(__doc__ or "", argv)
    print(f"fraud source data in {source_dir(project, EXAMPLE)}: {run(project)}")


if __name__ == "__main__":
    main()
