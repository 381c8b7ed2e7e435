"""Query execution over the offline store: reads, batch preparation, lookups, point-in-time
joins and statistics; chosen by the ``engine`` setting (``base.open_engine``; DuckDB).
"""
