"""The parts of ``benchmarks/serving.py``, one job per module.

- ``data``: the feature table (numpy, fixed seed) as Parquet, the lookup keys, and the
  request body each server takes for a key.
- ``projects``: the featurehouse project (an online group, a view, a small XGBoost model
  and its deployment) and the Feast repo (``feast apply`` + ``feast materialize``) over
  that same Parquet file.
- ``servers``: a server in a subprocess on a free loopback port: start, wait until it
  answers, its resident memory, stop.
- ``client``: the sequential keep-alive client (latency percentiles, every answer
  checked) and the paced client of the soak.
- ``wrk``: throughput with ``wrk`` (a Lua script posting bodies with random keys).
- ``runner``: ``run``, every contender in order, the results as a dict.
- ``report``: the tables and the target verdicts.

Timing helpers come from ``fgbench.measure`` and ``fvbench.online``; the Feast virtualenv
from ``fvbench.feast_env``. Nothing here imports featurehouse at module level: the servers
are separate processes and the client needs only the standard library.
"""
