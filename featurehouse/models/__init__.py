"""The model registry: versions, artifacts, metrics, aliases and lineage."""
