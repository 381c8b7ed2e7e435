"""The parts of ``benchmarks/feature_groups.py``, one job per module.

- ``data``: the input tables (numpy, fixed seeds) and their Arrow IPC files.
- ``measure``: timing, memory and running a step in its own spawned process.
- ``offline``: cases 1 and 2, insert and upsert, featurehouse vs bare deltalake.
- ``online``: cases 3 and 4, online lookup and write, vs bare sqlite3 and redis-py.
- ``runner``: ``run``, every case in order, the results as a dict.
- ``report``: the rich tables and the target verdicts.

Every function run in a spawned process is defined here, not in the script, so that the
child imports it by name (the spawned child gets the parent's ``sys.path``, which holds
``benchmarks/``).
"""
