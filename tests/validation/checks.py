"""User-defined checks for the tests: importable, so expectations can store them by path."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import featurehouse as fh


@fh.check
def even(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A row-level check on one column: the value is even."""
    return pc.equal(pc.bit_wise_and(values, 1), 0)


@fh.check
def refunds_negative(batch: pa.Table) -> np.ndarray:
    """A row-level check over the batch, as a numpy mask: refunds have a negative amount."""
    kind = batch.column("kind").to_numpy(zero_copy_only=False)
    amount = batch.column("amount").to_numpy(zero_copy_only=False)
    return np.asarray((kind != "refund") | (amount < 0))


@fh.check
def at_most_ten_rows(batch: pa.Table) -> bool:
    """A batch-level check: one bool."""
    return bool(batch.num_rows <= 10)


@fh.check
def wrong_length(values: pa.ChunkedArray) -> list[bool]:
    return [True]


@fh.check
def explodes(values: pa.ChunkedArray) -> bool:
    raise RuntimeError("boom")
