"""``featurehouse init``: a starter repo to copy from: two feature groups, a view, a feature
pipeline that fills them, and a README."""

from __future__ import annotations

from pathlib import Path

from featurehouse.errors import AlreadyExistsError

FEATURES = '''"""This repo's feature groups and views. Edit, then `featurehouse plan` and `featurehouse apply`.

A breaking change (a dropped or retyped column, another key or event time, another query)
needs a new version: bump `version=` and apply; the old version stays until pruned.
"""

from datetime import timedelta

import featurehouse as fh

transactions = fh.repo.FeatureGroup(
    name="transactions",
    version=1,
    primary_key=["cc_num"],
    event_time="ts",
    schema={"cc_num": "int64", "ts": "timestamp", "amount": "float64", "category": "string"},
    online=True,
    description="Card transactions: amount and category per card and time",
    tags={"team": "fraud"},
)

card_profiles = fh.repo.FeatureGroup(
    name="card_profiles",
    version=1,
    primary_key=["cc_num"],
    event_time="ts",
    schema={"cc_num": "int64", "ts": "timestamp", "credit_limit": "float64", "age": "int64"},
    online=True,
    ttl=timedelta(days=365),
    description="Card holder profiles",
)

fraud = fh.repo.FeatureView(
    name="fraud",
    version=1,
    query=transactions.select(["amount", "category"]).join(
        card_profiles.select(["credit_limit", "age"]), on="cc_num"
    ),
    labels=["is_fraud"],
    description="Inputs of the fraud model",
)
'''

INGEST = '''"""A feature pipeline: writes a day of synthetic rows into the groups of `features.py`,
then reads an online feature vector. Run it after `featurehouse apply`:

    python ingest.py [PROJECT]
"""

import random
import sys
from datetime import UTC, datetime, timedelta

import featurehouse as fh
from features import card_profiles, fraud, transactions


def main(project: str | None = None) -> None:
    rng = random.Random(0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with fh.connect(project) as fs:
        profiles = fs.get_feature_group(card_profiles.name, card_profiles.version)
        profiles.insert(
            [
                {"cc_num": card, "ts": start, "credit_limit": 500.0 * rng.randint(1, 10),
                 "age": rng.randint(18, 90)}
                for card in range(1, 101)
            ]
        )
        rows = [
            {"cc_num": rng.randint(1, 100), "ts": start + timedelta(seconds=rng.randint(0, 86_399)),
             "amount": round(rng.expovariate(1 / 40), 2),
             "category": rng.choice(["grocery", "travel", "online"])}
            for _ in range(1_000)
        ]
        written = fs.get_feature_group(transactions.name, transactions.version).insert(rows)
        print(f"transactions: {written.rows_inserted} rows at offline version {written.version}")
        view = fs.get_feature_view(fraud.name, fraud.version)
        print("card 1:", view.get_feature_vector({"cc_num": 1}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
'''

README = """# A featurehouse feature repo

`features.py` declares what the catalog should hold: two feature groups (`transactions`,
`card_profiles`) and a feature view (`fraud`) that joins them. Every `*.py` file of this
directory (not starting with `_`) is read; declarations at the top level of a file count.

```bash
featurehouse plan .      # what would change: created / changed / breaking / removed
featurehouse apply .     # do it (a breaking change is refused: bump the version)
python ingest.py         # a feature pipeline: fill the groups, read a feature vector
```

Both commands take `--project DIR` (default `$FEATUREHOUSE_HOME` or `./.featurehouse`).
Objects removed from the repo stay in the catalog until `featurehouse apply --prune`, which
refuses to remove what a deployment, a model or another view still uses. Deployments can be
declared too: `fh.repo.Deployment(name="fraud", model="fraud_xgb", version=3)`.
On-demand functions and transforms declared here are stored by import path
(`features:my_function`): processes that serve them need this directory on `PYTHONPATH`.
"""

FILES = {"features.py": FEATURES, "ingest.py": INGEST, "README.md": README}


def write_starter(directory: str | Path) -> list[Path]:
    """Create the starter repo in ``directory`` (new, or without Python files)."""
    root = Path(directory)
    existing = [p.name for p in root.glob("*.py")] if root.exists() else []
    clashes = sorted(set(existing) | {n for n in FILES if (root / n).exists()})
    if clashes:
        raise AlreadyExistsError(
            f"{root} already holds {clashes}; init writes a new repo into an empty directory",
            obj=str(root),
            received=clashes,
        )
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in FILES.items():
        (root / name).write_text(text)
        written.append(root / name)
    return written
