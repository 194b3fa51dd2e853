"""Secrets at rest: Fernet keys and the encrypted model field."""
