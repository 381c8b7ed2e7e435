"""Query execution over the offline store: reads, batch preparation and lookups (DuckDB)."""
