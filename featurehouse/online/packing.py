"""Fixed-width features packed into one binary value per row.

Writing many columns per row costs a binding per column in SQLite; packing every
fixed-width feature (numbers, booleans, timestamps, dates) into one blob with
numpy is vectorized and leaves one binding. Variable-width features (strings,
binary, decimals, nested values) stay as their own values. The Redis store packs the
same blob into its values (``fields`` and ``fill`` let it add its own header fields).

A row's blob is the little-endian C struct of its fixed columns in schema order;
a separate null bitmap (None when the row has no null, the common case) marks the
nulls. Schemas only grow at the end, so a blob written before a fixed column was
added is a prefix of today's layout: its missing columns read as None.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from featurehouse.online.codec import column_decoder, decoder, encode_column

if TYPE_CHECKING:
    import numpy as np

Values = list[Any]

# struct codes of the fixed-width storage types (timestamps as µs, dates as days)
_CODES = {
    "bool": "?",
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "float": "f",
    "double": "d",
    "date32[day]": "i",
}


def fixed_code(t: pa.DataType) -> str | None:
    if pt.is_timestamp(t):
        return "q"
    return _CODES.get(str(t))


class RowLayout:
    """How the value columns of a schema are split between the blob and separate values."""

    def __init__(self, schema: pa.Schema, columns: Sequence[str]) -> None:
        self.fixed = [c for c in columns if fixed_code(schema.field(c).type)]
        self.variable = [c for c in columns if c not in self.fixed]
        codes = [fixed_code(schema.field(c).type) or "" for c in self.fixed]
        self._structs = {
            struct.calcsize("<" + "".join(codes[:i])): struct.Struct("<" + "".join(codes[:i]))
            for i in range(len(codes) + 1)
        }
        self._numpy_dtype = "".join(codes)
        self._size = struct.calcsize("<" + self._numpy_dtype)
        self._decoders = [decoder(schema.field(c).type) for c in self.fixed]
        # the number of columns a blob of each prefix size holds
        self._known = {size: i for i, size in enumerate(sorted(self._structs))}
        self._column_decoders = [column_decoder(schema.field(c).type) for c in self.fixed]
        self._record: np.dtype[np.void] | None = None  # numpy's view of a blob, made on first read
        self.variable_decoders = [decoder(schema.field(c).type) for c in self.variable]

    def pack(
        self, table: pa.Table, order: np.ndarray | None = None
    ) -> tuple[list[bytes], list[bytes | None]]:
        """Per row: the blob of fixed columns, and its null bitmap (None: no nulls).

        ``order`` (row positions) reorders the rows after packing, cheaper than taking
        them from the Arrow table first."""
        import numpy as np

        n = table.num_rows
        if not self.fixed:
            return [b""] * n, [None] * n
        dtype = np.dtype(self.fields())
        record = np.empty(n, dtype=dtype)
        nulls = self.fill(record, table)
        if order is not None:
            record = record[order]
            nulls = None if nulls is None else nulls[order]
        blobs: list[bytes] = record.view(np.dtype(("V", dtype.itemsize))).tolist()
        return blobs, _null_bitmaps(n, nulls)

    def fields(self) -> list[tuple[str, str]]:
        """The numpy fields of the blob: one per fixed column, little-endian, packed."""
        return [(f"c{i}", "<" + code) for i, code in enumerate(self._numpy_dtype)]

    def fill(self, record: np.ndarray, table: pa.Table) -> np.ndarray | None:
        """Write the fixed columns of ``table`` into the ``fields()`` of ``record`` (nulls as
        zeros); return the null matrix (rows x fixed columns), or None when there is no null."""
        import numpy as np

        nulls = None
        for i, name in enumerate(self.fixed):
            column = table.column(name)
            record[f"c{i}"] = fixed_values(column)
            if column.null_count:
                if nulls is None:
                    nulls = np.zeros((table.num_rows, len(self.fixed)), dtype=bool)
                nulls[:, i] = column.is_null().to_numpy(zero_copy_only=False)
        return nulls

    def variable_values(self, table: pa.Table) -> list[list[Any]]:
        return [encode_column(table.column(c)) for c in self.variable]

    def unpack(self, blob: bytes, nulls: bytes | None) -> Values:
        """The fixed columns of a row, decoded; None for nulls and for columns added later."""
        if len(blob) > self._size:  # written by a process that knows more columns
            blob = blob[: self._size]
        values = list(self._structs[len(blob)].unpack(blob))
        values.extend([None] * (len(self.fixed) - len(values)))
        if nulls:
            for i in _set_bits(nulls):
                if i < len(values):
                    values[i] = None
        for i, decode in enumerate(self._decoders):
            if decode is not None and values[i] is not None:
                values[i] = decode(values[i])
        return values

    def unpack_columns(
        self, blobs: Sequence[bytes], nulls: Sequence[bytes | None], columns: Collection[str]
    ) -> dict[str, pa.Array]:
        """The fixed columns among ``columns`` of many rows, as Arrow arrays decoded at once:
        null for nulls and for columns added after a row was written."""
        import numpy as np

        wanted = [(i, c) for i, c in enumerate(self.fixed) if c in columns]
        if not wanted:
            return {}
        if self._record is None:
            self._record = record_dtype(self._numpy_dtype)
        full = set(map(len, blobs)) <= {self._size}  # the common case: no row to cut or pad
        joined = b"".join(blobs if full else map(self._fit, blobs))
        record = np.frombuffer(joined, dtype=self._record)
        missing = None if full and not any(nulls) else self._missing(blobs, nulls)
        return {
            c: self._column_decoders[i](record[f"c{i}"], None if missing is None else missing[i])
            for i, c in wanted
        }

    def _fit(self, blob: bytes) -> bytes:
        """A blob cut or padded to today's size (padding reads as null: see ``_missing``)."""
        return blob[: self._size].ljust(self._size, b"\0")

    def _missing(self, blobs: Sequence[bytes], nulls: Sequence[bytes | None]) -> np.ndarray:
        """Fixed columns x rows: True where a value is null or absent from a short blob."""
        import numpy as np

        width = len(self.fixed)
        missing = np.zeros((width, len(blobs)), dtype=bool)
        for row, bitmap in enumerate(nulls):
            if bitmap:
                bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")[:width]
                missing[: len(bits), row] = bits.astype(bool)
        for row, blob in enumerate(blobs):
            if len(blob) < self._size:
                missing[self._known[len(blob)] :, row] = True
        return missing


def record_dtype(codes: str) -> np.dtype[np.void]:
    """The numpy structured type of a blob of these struct codes: fields c0, c1, ..."""
    import numpy as np

    return np.dtype([(f"c{i}", "<" + code) for i, code in enumerate(codes)])


def fixed_values(column: pa.ChunkedArray) -> np.ndarray:
    """A fixed-width column as numpy (timestamps as µs, dates as days, nulls as zeros)."""
    t = column.type
    if pa.types.is_timestamp(t):
        column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    elif pa.types.is_date32(t):
        column = column.cast(pa.int32())
    if column.null_count:
        column = pc.fill_null(column, False if pa.types.is_boolean(column.type) else 0)
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    return values


def _null_bitmaps(n: int, nulls: np.ndarray | None) -> list[bytes | None]:
    """Per row of the null matrix: its bitmap, or None when the row has no null."""
    if nulls is None:
        return [None] * n
    import numpy as np

    packed = null_bitmaps(nulls)
    bitmaps: list[Any] = packed.view(np.dtype(("V", packed.shape[1]))).ravel().tolist()
    has_null: list[Any] = np.any(nulls, axis=1).tolist()
    return [b if flag else None for b, flag in zip(bitmaps, has_null, strict=True)]


def null_bitmaps(nulls: np.ndarray) -> np.ndarray:
    """The null matrix (rows x fixed columns) as bitmaps, one row of bytes per row: bit i
    (little-endian bit order) says whether fixed column i is null."""
    import numpy as np

    packed: np.ndarray = np.packbits(nulls, axis=1, bitorder="little")
    return packed


def _set_bits(bitmap: bytes) -> list[int]:
    return [i * 8 + bit for i, byte in enumerate(bitmap) for bit in range(8) if byte >> bit & 1]


def row_assembler(
    columns: Sequence[str], layout: RowLayout, leading: Sequence[str]
) -> Callable[[Sequence[Any], Values, Sequence[Any]], dict[str, Any]]:
    """A function from (leading values, fixed values, variable values), all decoded, to a
    row dict in ``columns`` order; ``leading`` names the values stored on their own first."""
    sources: dict[str, tuple[int, int]] = {}
    for i, c in enumerate(leading):
        sources[c] = (0, i)
    for i, c in enumerate(layout.fixed):
        sources[c] = (1, i)
    for i, c in enumerate(layout.variable):
        sources[c] = (2, i)
    plan = [(c, *sources[c]) for c in columns]

    def assemble(lead: Sequence[Any], fixed: Values, variable: Sequence[Any]) -> dict[str, Any]:
        parts = (lead, fixed, variable)
        return {name: parts[part][i] for name, part, i in plan}

    return assemble
