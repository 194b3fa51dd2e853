"""OData query options ($filter, $orderby, $top, $skip, $select) — placeholder."""


class ODataError(ValueError):
    """A malformed or unsupported query; answered 400."""


def collection(rows, query, schema):
    """Rows after the query options."""
    return list(rows)


def single(row, query, schema):
    """One object after $select."""
    return row
