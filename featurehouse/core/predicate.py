"""A user's ``delete(where=...)`` predicate, parsed fully before Delta sees it.

The text is parsed with sqlglot and must be one boolean condition built only of
comparisons (``= <> != < <= > >=``), ``AND`` / ``OR`` / ``NOT``, ``IN (literals)``,
``BETWEEN``, ``IS [NOT] NULL`` and ``LIKE``, over the group's columns and literals.
Anything else (a function, a subquery, a second statement, a trailing word, an unknown
column) is refused. Delta receives a predicate regenerated from the parsed tree, with
quoted identifiers, never the user's string.

>>> delta_predicate("tx:1", "amount < 0 and kind = 'refund'", schema)
'"amount" < 0 AND "kind" = \\'refund\\''
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.errors import SchemaError

if TYPE_CHECKING:
    from sqlglot import exp

ALLOWED = "comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL and LIKE over columns and literals"
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def delta_predicate(group: str, where: str, schema: pa.Schema) -> str:
    """``where`` checked against ``schema`` and rewritten for Delta; SchemaError if refused.

    ``group`` (a label such as ``tx:1``) is named in errors."""
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import ParseError, SqlglotError

    if not isinstance(where, str):
        raise _refuse(group, where, "it is not a string")
    dialect = Dialect.get_or_raise("postgres")
    try:
        trees = dialect.parser().parse_into(exp.Condition, dialect.tokenize(where), where)
    except (SqlglotError, RecursionError) as exc:
        errors = exc.errors if isinstance(exc, ParseError) else []
        detail = errors[0]["description"] if errors else type(exc).__name__
        raise _refuse(group, where, f"it is not one SQL condition ({detail})") from exc
    conditions = [tree for tree in trees if tree is not None]
    if len(conditions) != 1:
        raise _refuse(group, where, "it must be exactly one condition")
    _Checker(group, where, schema).condition(conditions[0])
    return str(conditions[0].sql(dialect="postgres", identify=True, comments=False))


class _Checker:
    """Walks the parsed tree, refusing any node outside the allowed grammar."""

    def __init__(self, group: str, where: str, schema: pa.Schema) -> None:
        self.group, self.where, self.schema = group, where, schema

    def condition(self, node: exp.Expr) -> None:
        """A node that is true, false or null for each row."""
        from sqlglot import exp

        if isinstance(node, exp.Paren | exp.Not):
            self.condition(node.this)
        elif isinstance(node, exp.And | exp.Or):
            self.condition(node.this)
            self.condition(node.expression)
        elif isinstance(node, exp.EQ | exp.NEQ | exp.LT | exp.LTE | exp.GT | exp.GTE):
            self.compared(node.this, node.expression)
        elif isinstance(node, exp.Like) and set(node.args) <= {"this", "expression"}:
            self.compared(node.this, node.expression, kind="string")
        elif isinstance(node, exp.Between):
            self.compared(node.this, node.args["low"])
            self.compared(node.this, node.args["high"])
        elif isinstance(node, exp.In) and set(node.args) <= {"this", "expressions"}:
            if not node.expressions:
                raise self.refuse(node, "IN needs a list of literals")
            for item in node.expressions:
                self.compared(node.this, item)
        elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            self.column(node.this)
        elif isinstance(node, exp.Column) and self.column(node) == "bool":
            pass  # a boolean column alone is a condition
        else:
            raise self.refuse(node, f"only {ALLOWED} are allowed")

    def compared(self, left: exp.Expr, right: exp.Expr, kind: str = "") -> None:
        """Two operands of a comparison: columns or literals, of one kind where known."""
        kinds = {self.operand(left), self.operand(right)} - {"column"}
        if kind:
            kinds.add(kind)
        if len(kinds) > 1:
            raise self.refuse(left.parent or left, f"it compares {' with '.join(sorted(kinds))}")

    def operand(self, node: exp.Expr) -> str:
        """The kind of a value: a column's ("number", "string", ...) or a literal's."""
        from sqlglot import exp

        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Boolean):
            return "bool"
        if isinstance(node, exp.Literal) and node.is_string:
            return "string"
        literal = node.this if isinstance(node, exp.Neg) else node
        if isinstance(literal, exp.Literal) and not literal.is_string:
            if not _NUMBER.fullmatch(literal.this) or math.isinf(float(literal.this)):
                raise self.refuse(node, f"{literal.this} is not a finite number")
            if node is not literal and float(literal.this) == 0:
                # -0.0 equals 0.0, but Delta's planner tells the two literals apart when it
                # simplifies `v <> -0.0 AND v = 0.0`, and deletes the zeros: write it as 0.
                node.replace(literal)
            return "number"
        if isinstance(node, exp.Null):
            raise self.refuse(node, "a comparison with NULL is never true; use IS NULL")
        raise self.refuse(node, "operands must be columns or literals")

    def column(self, node: exp.Expr) -> str:
        """A plain column of the group; the kind of literal it compares with."""
        from sqlglot import exp

        if (
            not isinstance(node, exp.Column)
            or node.table
            or not isinstance(node.this, exp.Identifier)
        ):
            raise self.refuse(node, "expected a column of the group")
        if node.name not in self.schema.names:
            raise self.refuse(node, f"no column {node.name!r}; columns: {self.schema.names}")
        kind = self.schema.field(node.name).type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return "number"
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return "string"
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            return "string"  # an ISO 8601 literal: '2026-01-01T00:00:00+00:00'
        if pa.types.is_boolean(kind):
            return "bool"
        raise self.refuse(node, f"column {node.name!r} of type {kind} cannot be compared")

    def refuse(self, node: exp.Expr, reason: str) -> SchemaError:
        return _refuse(self.group, self.where, f"{reason}; at {node.sql(dialect='postgres')!r}")


def _refuse(group: str, where: Any, reason: str) -> SchemaError:
    return SchemaError(
        f"feature group {group}: cannot delete where {where!r}: {reason}; nothing was deleted",
        obj=group,
        column="where",
        expected=ALLOWED,
        received=where,
    )
