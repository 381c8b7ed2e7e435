"""The parts of ``benchmarks/feature_views.py``, one job per module.

- ``data``: the three feature groups, the spine and the lookup keys (numpy, fixed seeds),
  written as Parquet files that every contender reads.
- ``offline``: ``training_data`` by featurehouse and the hand-written DuckDB ASOF query.
- ``online``: featurehouse ``get_feature_vector`` / ``get_feature_vectors`` latencies.
- ``feast_job``: a script run by the Feast virtualenv's Python (``feast_env`` creates that
  virtualenv and runs the script): Feast's ``get_historical_features`` and
  ``get_online_features`` on the same files; it prints its results as JSON.
- ``compare``: every contender's training data against the hand-written DuckDB result.
- ``runner``: ``run``, every contender at every scale, the results as a dict.
- ``report``: the rich tables and the target verdicts.

Timing and memory come from ``fgbench.measure`` (``timed``, ``isolated``): each measured
step runs in its own process. Nothing here imports a library at module level, so that
``feast_job`` (which imports ``fgbench.measure`` and ``fvbench.data``) runs in the Feast
virtualenv, where featurehouse is not installed.
"""
