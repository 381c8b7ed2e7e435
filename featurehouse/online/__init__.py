"""The online store: the latest row per primary key, for low-latency lookups."""
