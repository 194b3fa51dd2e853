from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from fleetadmin import crypto
from fleetadmin.fields import EncryptedTextField
from fleetadmin.models import FlinkeyCredentials


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored flinkey secret under the newest key in "
        "FLINKEY_ENCRYPTION_KEYS, so that older keys can be removed afterwards."
    )

    def handle(self, *args, **options):
        meta = FlinkeyCredentials._meta
        columns = [f.column for f in meta.concrete_fields if isinstance(f, EncryptedTextField)]
        quote = connection.ops.quote_name
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        # Raw SQL on purpose: the ciphertext is rotated as it is stored and the plaintext
        # never passes through a model instance.
        select = f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table}"  # noqa: S608
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        update = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
        rotated = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select)
            for row_pk, *ciphertexts in cursor.fetchall():
                try:
                    renewed = [crypto.rotate(value) if value else value for value in ciphertexts]
                except crypto.DecryptionError as error:
                    raise CommandError(f"credentials #{row_pk}: {error}") from None
                cursor.execute(update, [*renewed, row_pk])
                rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {rotated} account(s)."))
