"""The fraud system's last step: monitoring of the deployment against its training data.

Monitoring (``fs.monitoring``) is not part of this build yet; this step is where it goes,
with what it needs at hand: the deployment's name and the reference training dataset
(the one the served model was trained on, split ``train``). Until then it does nothing.
"""

from __future__ import annotations

import featurehouse as fh


def monitoring_step(
    fs: fh.FeatureStore, deployment: str, reference: fh.TrainingDataset
) -> str | None:
    """Monitor ``deployment`` against ``reference``; returns the report's path, or None
    while monitoring is not available."""
    return None
