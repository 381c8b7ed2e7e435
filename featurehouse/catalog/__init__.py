"""The catalog: metadata of every featurehouse object (feature groups, and later views,
datasets, models, deployments), kept in SQLite or PostgreSQL."""
