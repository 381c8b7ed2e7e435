"""The parts of ``benchmarks/transforms.py``, one job per module.

- ``features``: the view's layout, its on-demand features and transforms, and the
  scikit-learn ``ColumnTransformer`` with the same scalers and encoders.
- ``data``: the feature groups, the spine and the online requests (numpy, fixed seeds).
- ``prepare``: the featurehouse project: groups, view, training dataset, ``fv.bind``.
- ``online``: case 1, one transformed feature vector, featurehouse vs ``ColumnTransformer``.
- ``batch``: case 2, the transform step over the training set, the same two.
- ``runner``: ``run``, every step in order, and the check that both give the same numbers.
- ``report``: the rich tables and the target verdicts.

Every function run in a spawned process, and every on-demand feature the view uses, is
defined here, not in the script, so that the child (and the catalog) can import it by name.
Timing and memory come from ``fgbench.measure``.
"""
