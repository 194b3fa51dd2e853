from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from fleetadmin.secrets import crypto
from fleetadmin.secrets.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored flinkey secret under the newest key in "
        "FLINKEY_ENCRYPTION_KEYS, so that older keys can be removed afterwards."
    )

    def handle(self, *args, **options):
        rotated = 0
        with transaction.atomic():
            # Every model of every app with encrypted fields (the users' credentials, and
            # e.g. the fleet store's sync credentials), found through the app registry so
            # that the core needs to know none of them.
            for model in apps.get_models():
                columns = [f.column for f in model._meta.concrete_fields
                           if isinstance(f, EncryptedTextField)]
                if columns:
                    rotated += self._rotate(model._meta, columns)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {rotated} account(s)."))

    def _rotate(self, meta, columns) -> int:
        quote = connection.ops.quote_name
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        # Raw SQL on purpose: the ciphertext is rotated as it is stored and the plaintext
        # never passes through a model instance.
        select = f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table}"  # noqa: S608
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        update = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
        rotated = 0
        with connection.cursor() as cursor:
            cursor.execute(select)
            for row_pk, *ciphertexts in cursor.fetchall():
                try:
                    renewed = [crypto.rotate(value) if value else value for value in ciphertexts]
                except crypto.DecryptionError as error:
                    raise CommandError(f"{meta.label} #{row_pk}: {error}") from None
                cursor.execute(update, [*renewed, row_pk])
                rotated += 1
        return rotated
