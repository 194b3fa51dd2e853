"""OData query options, with $filter built from expression objects so input stays a literal.

    odata.contains(odata.tolower("name"), "o'brien") & ~odata.eq("brand", None)
    -> "contains(tolower(name),'o''brien') and not (brand eq null)"

Field names are the client's snake_case and are translated to the API's camelCase.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

__all__ = [
    "Expr",
    "Instant",
    "Query",
    "Term",
    "contains",
    "endswith",
    "eq",
    "field_name",
    "ge",
    "gt",
    "le",
    "literal",
    "lt",
    "ne",
    "startswith",
    "tolower",
]

# snake_case only: no leading, trailing or doubled underscores, so the camelCase is unambiguous.
_FIELD = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Result fields the client renamed; a filter on them must use the API's name.
_ALIASES = {
    "local_date_time": "dateTime",
    "recorded_at": "date",
    "odometer_recorded_at": "odometerDate",
    "service_ends_at": "dongleTerminationTimeStamp",
}

# Binding strength, loosest first. OData's `not` binds tighter than `eq`, so
# `not name eq 'x'` would mean `(not name) eq 'x'`: a comparison under `not` needs parentheses.
_OR, _AND, _COMPARE, _NOT, _ATOM = range(1, 6)


def field_name(name: str) -> str:
    """Return the API's camelCase name for a snake_case field; raises ValueError for others."""
    if not isinstance(name, str) or not _FIELD.fullmatch(name):
        raise ValueError(f"not a snake_case field name: {name!r}")
    if name in _ALIASES:
        return _ALIASES[name]
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class Instant:
    """A UTC moment to 100 ns, as .NET keeps it; a datetime stops at the microsecond.

    `ticks` is the seventh fraction digit (0–9 hundreds of nanoseconds beyond `moment`'s
    microsecond). Comparing with the API's own value needs it: `lt` a moment cut to the
    microsecond would leave out what lies in the same microsecond.
    """

    moment: datetime
    ticks: int = 0

    def __post_init__(self) -> None:
        if self.moment.tzinfo is None:
            raise ValueError("an Instant must be timezone-aware")
        ticks = self.ticks
        if isinstance(ticks, bool) or not isinstance(ticks, int) or not 0 <= ticks <= 9:
            raise ValueError("ticks must be an int from 0 to 9")


def literal(value: object) -> str:
    """Return `value` as an OData literal; raises TypeError/ValueError for what has none."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise ValueError(f"no OData literal for {value!r}")
        # repr() is the shortest exact form, but it switches to exponents (1e-07); OData
        # wants a plain decimal, which Decimal formats exactly.
        return format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    if isinstance(value, Instant):
        return value.moment.astimezone(UTC).strftime(f"%Y-%m-%dT%H:%M:%S.%f{value.ticks}Z")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime in a filter must be timezone-aware")
        utc = value.astimezone(UTC)
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ"
        return utc.strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no OData literal for {type(value).__name__}")


class _Node:
    level = _ATOM

    def render(self) -> str:
        raise NotImplementedError

    def _wrapped(self, min_level: int) -> str:
        text = self.render()
        return f"({text})" if self.level < min_level else text

    def __str__(self) -> str:
        return self.render()


class Term(_Node):
    """A value inside a filter: a field or a function of one (`tolower`)."""

    def __bool__(self) -> bool:
        raise TypeError("an OData term has no truth value")


@dataclass(frozen=True, eq=False)
class _Field(Term):
    name: str

    def render(self) -> str:
        return field_name(self.name)


@dataclass(frozen=True, eq=False)
class _Function(Term):
    function: str
    term: Term

    def render(self) -> str:
        return f"{self.function}({self.term.render()})"


class Expr(_Node):
    """A boolean filter expression; combine with `&` (and), `|` (or) and `~` (not)."""

    def __and__(self, other: Expr) -> Expr:
        return _Junction("and", (*_parts(self, "and"), *_parts(_expr(other), "and")))

    def __or__(self, other: Expr) -> Expr:
        return _Junction("or", (*_parts(self, "or"), *_parts(_expr(other), "or")))

    def __invert__(self) -> Expr:
        return _Not(self)

    def __bool__(self) -> bool:
        # `a and b` / `a or b` would silently drop half the filter: demand `&` / `|`.
        raise TypeError("combine OData expressions with &, | and ~, not and/or/not")

    def __repr__(self) -> str:
        return f"<odata {self.render()}>"


@dataclass(frozen=True, eq=False, repr=False)
class _Comparison(Expr):
    op: str
    term: Term
    value: object
    level = _COMPARE

    def render(self) -> str:
        return f"{self.term.render()} {self.op} {literal(self.value)}"


@dataclass(frozen=True, eq=False, repr=False)
class _Match(Expr):
    function: str
    term: Term
    value: str

    def render(self) -> str:
        return f"{self.function}({self.term.render()},{literal(self.value)})"


@dataclass(frozen=True, eq=False, repr=False)
class _Junction(Expr):
    keyword: str
    operands: tuple[Expr, ...]

    @property
    def level(self) -> int:  # type: ignore[override]
        return _AND if self.keyword == "and" else _OR

    def render(self) -> str:
        return f" {self.keyword} ".join(part._wrapped(self.level + 1) for part in self.operands)


@dataclass(frozen=True, eq=False, repr=False)
class _Not(Expr):
    operand: Expr
    level = _NOT

    def render(self) -> str:
        return f"not {self.operand._wrapped(_ATOM)}"


def _term(value: str | Term) -> Term:
    if isinstance(value, Term):
        return value
    if isinstance(value, str):
        field_name(value)  # fail when the filter is built, not when it is sent
        return _Field(value)
    raise TypeError(f"expected a field name or odata.tolower(...), not {type(value).__name__}")


def _expr(value: object) -> Expr:
    if not isinstance(value, Expr):
        raise TypeError(f"expected an OData expression, not {type(value).__name__}")
    return value


def _parts(expr: Expr, keyword: str) -> tuple[Expr, ...]:
    # a & b & c renders flat: "a and b and c".
    if isinstance(expr, _Junction) and expr.keyword == keyword:
        return expr.operands
    return (expr,)


def _comparison(op: str):
    def build(term: str | Term, value: object) -> Expr:
        literal(value)  # reject values without a literal now
        return _Comparison(op, _term(term), value)

    build.__name__ = op
    build.__doc__ = f"Return the expression `term {op} value`; raises TypeError/ValueError."
    return build


def _match(function: str):
    def build(term: str | Term, value: str) -> Expr:
        if not isinstance(value, str):
            raise TypeError(f"{function}() takes a string, not {type(value).__name__}")
        return _Match(function, _term(term), value)

    build.__name__ = function
    build.__doc__ = f"Return the expression `{function}(term, value)`; raises TypeError."
    return build


eq = _comparison("eq")
ne = _comparison("ne")
gt = _comparison("gt")
ge = _comparison("ge")
lt = _comparison("lt")
le = _comparison("le")
contains = _match("contains")
startswith = _match("startswith")
endswith = _match("endswith")


def tolower(term: str | Term) -> Term:
    """Return the term `tolower(term)`, usable as the first argument of a filter function."""
    return _Function("tolower", _term(term))


@dataclass(frozen=True)
class Query:
    """OData query options; `params()` returns the `$`-parameters for requests to encode.

    orderby items: "name" (ascending), "-name" (descending) or ("name", "asc"|"desc").
    """

    filter: Expr | None = None
    orderby: tuple[str | tuple[str, str], ...] = field(default=())
    top: int | None = None
    skip: int | None = None
    select: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.filter is not None and not isinstance(self.filter, Expr):
            # A hand-written string would let user input change the filter's structure.
            raise TypeError("Query.filter takes an expression built with flinkey.odata")
        for name in ("top", "skip"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"Query.{name} must be a non-negative int, not {value!r}")
        orderby = (self.orderby,) if isinstance(self.orderby, str) else tuple(self.orderby)
        select = (self.select,) if isinstance(self.select, str) else tuple(self.select)
        object.__setattr__(self, "orderby", orderby)
        object.__setattr__(self, "select", select)
        self._orderby_param()
        for name in select:
            field_name(name)

    def params(self) -> dict[str, str]:
        """Return the query options as {"$filter": ..., ...}, leaving out those not set."""
        params: dict[str, str] = {}
        if self.filter is not None:
            params["$filter"] = self.filter.render()
        if self.orderby:
            params["$orderby"] = self._orderby_param()
        if self.top is not None:
            params["$top"] = str(self.top)
        if self.skip is not None:
            params["$skip"] = str(self.skip)
        if self.select:
            params["$select"] = ",".join(field_name(name) for name in self.select)
        return params

    def _orderby_param(self) -> str:
        return ",".join(_order_item(item) for item in self.orderby)


def _order_item(item: str | tuple[str, str]) -> str:
    if isinstance(item, str):
        if item.startswith("-"):
            return f"{field_name(item[1:])} desc"
        return f"{field_name(item)} asc"
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        direction = item[1].lower()
        if direction not in ("asc", "desc"):
            raise ValueError(f"orderby direction must be 'asc' or 'desc', not {item[1]!r}")
        return f"{field_name(item[0])} {direction}"
    raise ValueError(f"orderby items are 'name', '-name' or ('name', 'asc'|'desc'): {item!r}")
