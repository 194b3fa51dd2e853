"""A store built once per module, copied into each test's transaction.

Building a store the way a test means it (a real sync against the sandbox, or thousands of
rows written through the ORM) costs a second or more; the tests that use it only need the
rows. `take_rows` runs the build once, inside a transaction it rolls back, and keeps every
row the build added (table by table, columns as stored, ids included); `put_rows` inserts
those rows into the test's own transaction with one `executemany` a table, so each test
starts from exactly the rows its own build would have written, and whatever it writes is
rolled back with it as before. (config.testing copies the post_migrate rows back the same
way, with the same two helpers.)
"""

from collections.abc import Callable
from typing import Any

from config.testing import TableRows, insert_rows, rows_of_every_table


def take_rows(build: Callable[[], Any], *, using: str = "default") -> tuple[TableRows, Any]:
    """Run `build()` in a transaction that is rolled back; return the rows it added (every
    table, in its columns' order) and what `build` returned.

    Call it with the database unblocked (pytest-django's `django_db_blocker.unblock()`)
    outside any test's transaction, e.g. in a module-scoped fixture."""
    from django.db import connections, transaction

    connection = connections[using]
    with transaction.atomic(using=using):
        before = {table: set(rows) for table, _columns, rows in rows_of_every_table(connection)}
        built = build()
        after = rows_of_every_table(connection)
        transaction.set_rollback(True, using=using)
    added: TableRows = []
    for table, columns, rows in after:
        old = before.get(table, set())
        new = [row for row in rows if row not in old]
        if new:
            added.append((table, columns, new))
    return added, built


def put_rows(rows: TableRows, *, using: str = "default") -> None:
    """Insert rows from `take_rows` into the test's transaction (config.testing.insert_rows)."""
    from django.db import connections

    insert_rows(connections[using], rows)
