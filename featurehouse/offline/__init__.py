"""The offline store: the full history of each feature group version, as a Delta Lake table."""
