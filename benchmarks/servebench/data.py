"""The data both servers read: ENTITIES entities x FEATURES float features, one row each,
generated with numpy (fixed seed) and written once as Parquet, and the keys the clients
ask for (random, all known)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ENTITIES = 100_000
FEATURES = 30
KEY = "entity_id"
START = datetime(2025, 1, 1, tzinfo=UTC)  # event times lie within the day after it
END = START + timedelta(days=1)
SEED = 20250501
FILE = "features.parquet"


def feature_names() -> list[str]:
    return [f"f{i}" for i in range(FEATURES)]


def make_data(root: Path, entities: int) -> dict[str, Any]:
    """Write ``features.parquet`` (``entity_id``, ``ts``, ``f0``..``f29``, ``label``) under
    ``root``; ``label`` is a noisy function of three features, for the model to learn."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    start = int(START.timestamp() * 1_000_000)
    ts = start + rng.integers(0, 86_400 * 1_000_000, entities, dtype=np.int64)
    values = rng.standard_normal((FEATURES, entities))
    score = values[0] + 0.5 * values[1] - values[2] + 0.5 * rng.standard_normal(entities)
    columns: dict[str, Any] = {
        KEY: np.arange(entities, dtype=np.int64),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
    }
    columns.update({name: values[i] for i, name in enumerate(feature_names())})
    columns["label"] = (score > 0).astype(np.int64)
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), root / FILE)
    return {"rows": entities}


def first_features(root: Path) -> list[float]:
    """``f0`` of every entity, by entity id: what a correct answer carries."""
    import pyarrow.parquet as pq

    return pq.read_table(root / FILE, columns=["f0"]).column("f0").to_pylist()  # type: ignore[no-any-return]


def make_keys(entities: int, count: int, seed: int = SEED + 1) -> list[int]:
    import random

    rng = random.Random(seed)
    return [rng.randrange(entities) for _ in range(count)]


# What each endpoint takes for one entity, and where its answer carries f0 (None for a
# prediction, which is only checked to be a number).
Body = Callable[[int], bytes]


def featurehouse_body(key: int) -> bytes:
    return json.dumps({"entities": [{KEY: key}]}).encode()


def feast_body(key: int) -> bytes:
    refs = [f"features:{f}" for f in feature_names()]
    return json.dumps({"features": refs, "entities": {KEY: [key]}}).encode()


def featurehouse_f0(answer: dict[str, Any]) -> Any:
    return answer["vectors"][0][0]


def feast_f0(answer: dict[str, Any]) -> Any:
    index = answer["metadata"]["feature_names"].index("f0")
    return answer["results"][index]["values"][0]


def prediction(answer: dict[str, Any]) -> Any:
    return answer["predictions"][0]["prediction"]
