"""A store built once per module, copied into each test's transaction.

Building a store the way a test means it (a real sync against the sandbox, or thousands of
rows written through the ORM) costs a second or more; the tests that use it only need the
rows. `take_rows` runs the build once, inside a transaction it rolls back, and keeps every
row the build added (table by table, columns as stored, ids included); `put_rows` inserts
those rows into the test's own transaction with one `executemany` a table, so each test
starts from exactly the rows its own build would have written, and whatever it writes is
rolled back with it as before. (config.testing copies the post_migrate rows back the same
way.)
"""

from collections.abc import Callable
from typing import Any

Rows = list[tuple[str, tuple[str, ...], list[tuple]]]


def _every_row(connection) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    tables = connection.introspection.django_table_names(only_existing=True,
                                                         include_views=False)
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            found[table] = (tuple(column[0] for column in cursor.description),
                            cursor.fetchall())
    return found


def take_rows(build: Callable[[], Any], *, using: str = "default") -> tuple[Rows, Any]:
    """Run `build()` in a transaction that is rolled back; return the rows it added (every
    table, in its columns' order) and what `build` returned.

    Call it with the database unblocked (pytest-django's `django_db_blocker.unblock()`)
    outside any test's transaction, e.g. in a module-scoped fixture."""
    from django.db import connections, transaction

    connection = connections[using]
    with transaction.atomic(using=using):
        before = _every_row(connection)
        built = build()
        after = _every_row(connection)
        transaction.set_rollback(True, using=using)
    added: Rows = []
    for table, (columns, rows) in after.items():
        old = set(before.get(table, ((), []))[1])
        new = [row for row in rows if row not in old]
        if new:
            added.append((table, columns, new))
    return added, built


def put_rows(rows: Rows, *, using: str = "default") -> None:
    """Insert rows from `take_rows` (foreign keys are checked at the test's end: Django
    creates them deferrable, so the tables' order does not matter)."""
    from django.db import connections

    connection = connections[using]
    with connection.cursor() as cursor:
        for table, columns, values in rows:
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({names}) "  # noqa: S608
                f"VALUES ({marks})", values)
