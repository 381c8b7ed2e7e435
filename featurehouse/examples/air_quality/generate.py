"""The source systems: writes synthetic daily PM2.5 readings and weather (observed, and
forecast a week ahead) as Parquet files under ``<project>/example-data/air_quality``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from featurehouse.examples.air_quality.data import AirQualitySize, generate
from featurehouse.examples.common import parse_project, read_manifest, source_dir, write_sources

EXAMPLE = "air_quality"


def run(project: Path, size: AirQualitySize | None = None) -> dict[str, int]:
    """Write the source tables; returns rows per table."""
    size = size or AirQualitySize()
    return write_sources(project, EXAMPLE, generate(size), size.to_json())


def read_size(project: Path) -> AirQualitySize:
    return AirQualitySize.from_json(read_manifest(source_dir(project, EXAMPLE), EXAMPLE))


def main(argv: Sequence[str] | None = None) -> None:
    project = parse_project(__doc__ or "", argv)
    print(f"air quality source data in {source_dir(project, EXAMPLE)}: {run(project)}")


if __name__ == "__main__":
    main()
