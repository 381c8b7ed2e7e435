"""The fraud model's on-demand features, computed from the request and stored features
with the same code offline (over history, numpy arrays) and online (one request).

They are stored in feature views by import path, so they live in this importable module.
"""

from __future__ import annotations

from typing import cast

import featurehouse as fh

EARTH_RADIUS_KM = 6_371.0


@fh.on_demand
def distance_from_home(lat: float, lon: float, home_lat: float, home_lon: float) -> float:
    """Great-circle distance (km) from the card holder's home to where the card is used."""
    import numpy as np

    p1, p2 = np.radians(home_lat), np.radians(lat)
    dp, dl = p2 - p1, np.radians(lon) - np.radians(home_lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return cast(float, 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


@fh.on_demand
def seconds_since_last(unix_time: float, prev_unix: float) -> float:
    """Seconds between this transaction (the request's time) and the card's previous one;
    null for a card's first transaction."""
    return unix_time - prev_unix
