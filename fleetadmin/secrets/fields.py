"""A model field that stores text encrypted and hands it out decrypted."""

from django.db import models

from fleetadmin.secrets import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with Fernet at rest; reading it decrypts or raises DecryptionError."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
