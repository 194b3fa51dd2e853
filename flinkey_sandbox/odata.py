"""OData query options: a tokenizer, a recursive-descent $filter parser, and the evaluator."""

# Filters are compiled into plain Python closures once per request (never `eval`), so a
# 10,000-row collection costs one pass of function calls.

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "The query specified in the URI is not valid. "
OPTIONS = ("$filter", "$orderby", "$skip", "$top", "$select")
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
NUMERIC = ("int", "number")
EDM = {
    "string": "Edm.String",
    "int": "Edm.Int32",
    "number": "Edm.Double",
    "datetime": "Edm.DateTimeOffset",
    "bool": "Edm.Boolean",
    "null": "null",
}


class ODataError(ValueError):
    """A malformed or unsupported query; the API answers 400 with this message."""

    def __init__(self, detail: str):
        super().__init__(PREFIX + detail)


@dataclass(frozen=True)
class Schema:
    """A resource's type name and its fields' types (string, int, number, datetime)."""

    name: str
    fields: dict[str, str]

    def field(self, name: str) -> str:
        """The field's type, or ODataError when the resource has no such field."""
        kind = self.fields.get(name)
        if kind is None:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.name}'.")
        return kind


# --- tokenizer --------------------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![A-Za-z_])
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is datetime, number, string, name, punct or end."""

    kind: str
    text: str
    position: int


def tokenize(source: str) -> list[Token]:
    """Tokens of a $filter or $orderby expression, ending with an `end` token."""
    tokens = []
    position = 0
    while position < len(source):
        found = TOKEN.match(source, position)
        if found is None:
            raise ODataError(f"Syntax error at position {position} in '{source}'.")
        if found.lastgroup != "ws":
            tokens.append(Token(found.lastgroup, found.group(), position))
        position = found.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# --- values -----------------------------------------------------------------------------


def to_instant(value: object) -> datetime | None:
    """A date-time string as naive UTC (naive input is taken as it stands), for comparing."""
    # Inferred: the events' `dateTime` has no offset; it is compared by its wall-clock
    # value against a literal's UTC value. Filter on `utcDateTime` for exact instants.
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --- parser: builds closures, typed -----------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A compiled expression: its OData type, a function of the row, and its syntax tree."""

    kind: str  # string, int, number, datetime, bool, null
    evaluate: Callable[[dict], object]
    # ("field", name) | ("lit", kind, value) | ("cmp", op, left, right) | ("and"|"or", a, b)
    # | ("not", a) | ("call", name): lets a collection with an index plan a cheaper scan.
    ast: tuple = ("other",)


def _compatible(a: str, b: str) -> bool:
    return a == b or "null" in (a, b) or (a in NUMERIC and b in NUMERIC)


def _compare(op: str, left, right):
    # OData: null eq null is true, null eq anything else is false; ordering with null is false.
    if left is None or right is None:
        if op == "eq":
            return left is None and right is None
        if op == "ne":
            return not (left is None and right is None)
        return False
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op == "gt":
        return left > right
    if op == "ge":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right


def _and(a, b):
    # Three-valued logic: false wins, then null (unknown), then true.
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _not(a):
    return None if a is None else not a


def _contains(haystack, needle):
    return None if haystack is None or needle is None else needle in haystack


def _startswith(text, prefix):
    return None if text is None or prefix is None else text.startswith(prefix)


def _endswith(text, suffix):
    return None if text is None or suffix is None else text.endswith(suffix)


def _tolower(text):
    return None if text is None else text.lower()


def _toupper(text):
    return None if text is None else text.upper()


# name -> (argument types, result type, implementation)
FUNCTIONS = {
    "contains": (("string", "string"), "bool", _contains),
    "startswith": (("string", "string"), "bool", _startswith),
    "endswith": (("string", "string"), "bool", _endswith),
    "tolower": (("string",), "string", _tolower),
    "toupper": (("string",), "string", _toupper),
}


class Parser:
    """Recursive-descent parser for $filter that compiles to typed closures."""

    # Grammar (lowest precedence first), as in OData ABNF restricted to what we support:
    #   or := and ("or" and)*        and := not ("and" not)*     not := "not" not | cmp
    #   cmp := primary (op primary)?  primary := "(" or ")" | call | literal | field

    def __init__(self, source: str, schema: Schema):
        self.source = source
        self.schema = schema
        self.tokens = tokenize(source)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            found = token.text or "end of input"
            raise ODataError(
                f"Syntax error: expected '{text}' at position {token.position}, found '{found}'."
            )

    def at_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text == word

    def parse_filter(self) -> Node:
        """The whole expression; it must be Boolean."""
        if self.peek().kind == "end":
            raise ODataError("The $filter expression must not be empty.")
        node = self.parse_or()
        self.parse_end()
        if node.kind not in ("bool", "null"):
            raise ODataError(
                "The $filter expression must evaluate to a value of type 'Edm.Boolean'."
            )
        return node

    def parse_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            raise ODataError(
                f"Syntax error at position {token.position} in '{self.source}': "
                f"unexpected '{token.text}'."
            )

    def _boolean(self, node: Node, op: str) -> Node:
        if node.kind not in ("bool", "null"):
            raise ODataError(f"The operand of '{op}' must be of type 'Edm.Boolean'.")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at_word("or"):
            self.take()
            left, right = self._boolean(node, "or"), self._boolean(self.parse_and(), "or")
            node = Node(
                "bool",
                lambda row, f=left.evaluate, g=right.evaluate: _or(f(row), g(row)),
                ("or", left.ast, right.ast),
            )
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at_word("and"):
            self.take()
            left, right = self._boolean(node, "and"), self._boolean(self.parse_not(), "and")
            node = Node(
                "bool",
                lambda row, f=left.evaluate, g=right.evaluate: _and(f(row), g(row)),
                ("and", left.ast, right.ast),
            )
        return node

    def parse_not(self) -> Node:
        if self.at_word("not"):
            self.take()
            inner = self._boolean(self.parse_not(), "not")
            return Node("bool", lambda row, f=inner.evaluate: _not(f(row)), ("not", inner.ast))
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_primary()
        token = self.peek()
        if token.kind != "name" or token.text not in COMPARISONS:
            return left
        op = self.take().text
        right = self.parse_primary()
        if not _compatible(left.kind, right.kind):
            raise ODataError(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{EDM[left.kind]}' and '{EDM[right.kind]}' for operator kind '{op}'."
            )
        f, g = left.evaluate, right.evaluate
        return Node(
            "bool", lambda row: _compare(op, f(row), g(row)), ("cmp", op, left.ast, right.ast)
        )

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if token.kind == "string":
            value = token.text[1:-1].replace("''", "'")
            return Node("string", lambda row: value, ("lit", "string", value))
        if token.kind == "number":
            is_int = re.fullmatch(r"-?\d+", token.text) is not None
            value = int(token.text) if is_int else float(token.text)
            kind = "int" if is_int else "number"
            return Node(kind, lambda row: value, ("lit", kind, value))
        if token.kind == "datetime":
            value = to_instant(token.text)
            if value is None:
                raise ODataError(f"'{token.text}' is not a valid date-time literal.")
            return Node("datetime", lambda row: value, ("lit", "datetime", value))
        if token.kind == "name":
            return self.parse_name(token)
        found = token.text or "end of input"
        raise ODataError(f"Syntax error at position {token.position}: unexpected '{found}'.")

    def parse_name(self, token: Token) -> Node:
        word = token.text
        if word in ("true", "false"):
            value = word == "true"
            return Node("bool", lambda row: value, ("lit", "bool", value))
        if word == "null":
            return Node("null", lambda row: None, ("lit", "null", None))
        if self.peek().text == "(":
            return self.parse_call(token)
        if word in COMPARISONS or word in ("and", "or", "not"):
            raise ODataError(f"Syntax error at position {token.position}: unexpected '{word}'.")
        kind = self.schema.field(word)
        if kind == "datetime":
            return Node(kind, lambda row: to_instant(row.get(word)), ("field", word))
        return Node(kind, lambda row: row.get(word), ("field", word))

    def parse_call(self, token: Token) -> Node:
        spec = FUNCTIONS.get(token.text)
        if spec is None:
            raise ODataError(f"An unknown function with name '{token.text}' was found.")
        arg_types, result, function = spec
        self.expect("(")
        args = [self.parse_or()]
        while self.peek().text == ",":
            self.take()
            args.append(self.parse_or())
        self.expect(")")
        if len(args) != len(arg_types):
            raise ODataError(
                f"The function '{token.text}' takes {len(arg_types)} argument(s), "
                f"{len(args)} given."
            )
        for arg, wanted in zip(args, arg_types, strict=True):
            if arg.kind not in (wanted, "null"):
                raise ODataError(
                    f"No function signature for the function with name '{token.text}' matches "
                    f"the specified arguments (found '{EDM[arg.kind]}')."
                )
        evaluators = [a.evaluate for a in args]
        if len(evaluators) == 1:
            (f,) = evaluators
            return Node(result, lambda row: function(f(row)), ("call", token.text))
        f, g = evaluators
        return Node(result, lambda row: function(f(row), g(row)), ("call", token.text))


def parse_filter(source: str, schema: Schema) -> Callable[[dict], object]:
    """A predicate for rows; a row is kept only where it returns True (not null)."""
    return compile_filter(source, schema).evaluate


def compile_filter(source: str, schema: Schema) -> Node:
    """The whole $filter as a Node (predicate plus syntax tree)."""
    return Parser(source, schema).parse_filter()


def parse_orderby(source: str, schema: Schema) -> list[tuple[str, bool]]:
    """(field, descending) pairs from `name desc, id` style text."""
    keys = []
    for part in source.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby: '{part.strip()}'.")
        schema.field(words[0])
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return keys


def parse_select(source: str, schema: Schema) -> list[str] | None:
    """Field names in the schema's order, or None for `*`."""
    names = [part.strip() for part in source.split(",")]
    if "*" in names:
        return None
    for name in names:
        if not name:
            raise ODataError(f"Syntax error in $select: '{source}'.")
        schema.field(name)
    return [f for f in schema.fields if f in names]


def parse_count(name: str, value: str) -> int:
    """A non-negative integer for $top/$skip."""
    if not re.fullmatch(r"\d{1,9}", value.strip()):
        raise ODataError(f"Invalid value '{value}' for {name} query option found.")
    return int(value)


def _options(query: Iterable[tuple[str, str]]) -> dict[str, str]:
    options: dict[str, str] = {}
    for name, value in query:
        if not name.startswith("$"):
            continue  # custom parameters are ignored, as ASP.NET OData does
        if name not in OPTIONS:
            raise ODataError(f"The query parameter '{name}' is not supported.")
        if name in options:
            raise ODataError(
                f"Query option '{name}' was specified more than once, "
                "but it must be specified at most once."
            )
        options[name] = value
    return options


def _sort_key(field: str, kind: str):
    if kind == "datetime":

        def key(row):
            value = to_instant(row.get(field))
            return (value is not None, value or datetime.min)

        return key

    # Strings order by code point (ordinal), like .NET's default for OData on objects.
    def key(row):
        value = row.get(field)
        # Nulls sort first ascending (and last descending), as OData says.
        return (False, "") if value is None else (True, value)

    return key


def _project(rows: list[dict], fields: list[str] | None) -> list[dict]:
    if fields is None:
        return rows
    return [{f: row.get(f) for f in fields} for row in rows]


@dataclass(frozen=True)
class Options:
    """The parsed query options of one collection request."""

    schema: Schema
    filter: Node | None
    orderby: list[tuple[str, bool]]
    skip: int
    top: int | None
    select: list[str] | None

    def keeps(self, row: dict) -> bool:
        """True when the row passes $filter (a null result drops it)."""
        return self.filter is None or self.filter.evaluate(row) is True

    def project(self, rows: list[dict]) -> list[dict]:
        """$select applied to rows."""
        return _project(rows, self.select)


def parse_options(query: Iterable[tuple[str, str]], schema: Schema) -> Options:
    """Every option parsed, so a bad option fails before any work is done."""
    options = _options(query)
    return Options(
        schema,
        compile_filter(options["$filter"], schema) if "$filter" in options else None,
        parse_orderby(options["$orderby"], schema) if "$orderby" in options else [],
        parse_count("$skip", options["$skip"]) if "$skip" in options else 0,
        parse_count("$top", options["$top"]) if "$top" in options else None,
        parse_select(options["$select"], schema) if "$select" in options else None,
    )


def apply(rows: Iterable[dict], options: Options) -> list:
    """Rows after $filter → $orderby → $skip → $top → $select."""
    result = [r for r in rows if options.keeps(r)] if options.filter else list(rows)
    # Stable sorts from the last key to the first give a multi-key order.
    for field, descending in reversed(options.orderby):
        result.sort(key=_sort_key(field, options.schema.fields[field]), reverse=descending)
    skip, top = options.skip, options.top
    result = result[skip:] if top is None else result[skip : skip + top]
    return options.project(result)


def collection(rows: Iterable[dict], query: Iterable[tuple[str, str]], schema: Schema) -> list:
    """Rows after $filter → $orderby → $skip → $top → $select."""
    return apply(rows, parse_options(query, schema))


def single(row: dict, query: Iterable[tuple[str, str]], schema: Schema) -> dict:
    """One object after $select; collection-only options are refused."""
    options = _options(query)
    for name in ("$filter", "$orderby", "$skip", "$top"):
        if name in options:
            # ASP.NET OData's own sentence for options on a single entity.
            raise ODataError(
                "The requested resource is not a collection. Query options $filter, $orderby, "
                "$count, $skip, and $top can be applied only on collections."
            )
    if "$select" not in options:
        return row
    return _project([row], parse_select(options["$select"], schema))[0]
